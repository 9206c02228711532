"""The seeded OBD-II trouble codes: the common generic SAE J2012 powertrain set (P0xxx) and common B, C, U codes.

The codes are a public standard; every meaning, description, cause and suggestion here is CarDoc's own
wording, written from general automotive knowledge, so we may ship it (see README, *Seed content*). Codes
come in families that share one wording (a sensor's five circuit faults, one misfire per cylinder), which
is why this is code rather than a JSON file: one family is written once.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

CRITICAL = "critical"
MODERATE = "moderate"
INFORMATIONAL = "informational"
CHECK_ENGINE = "check_engine"

Row = dict[str, Any]

# The five circuit faults J2012 gives most sensors, in code order.
CIRCUIT_FAULTS = (
    ("circuit malfunction", "The engine computer sees no sensible signal from the {part}."),
    ("circuit range/performance", "The {part} reads, but its values do not agree with what the engine is doing."),
    ("circuit low input", "The {part} signal is stuck lower than it can really be."),
    ("circuit high input", "The {part} signal is stuck higher than it can really be."),
    ("circuit intermittent", "The {part} signal keeps dropping out."),
)
SENSOR_CAUSES = [
    "A damaged, loose or corroded connector at the sensor",
    "Chafed or broken wiring between the sensor and the engine computer",
    "A failed sensor",
]
SENSOR_REPAIRS = [
    "Inspect the connector and wiring, and repair any damage",
    "Test the sensor's signal with a multimeter or scan tool before replacing it",
    "Clear the code and drive to see whether it returns",
]


def _row(
    code: str,
    meaning: str,
    description: str,
    severity: str,
    causes: list[str],
    repairs: list[str],
    *,
    lights: tuple[str, ...] = (CHECK_ENGINE,),
    sounds: tuple[str, ...] = (),
) -> Row:
    return {
        "code": code,
        "system": code[0],
        "meaning": meaning,
        "description": description,
        "severity": severity,
        "common_causes": causes,
        "repair_suggestions": repairs,
        "warning_lights": list(lights),
        "engine_sounds": list(sounds),
    }


def _code(prefix: str, number: int) -> str:
    return f"{prefix}{number:04d}"


def _sensor_family(start: int, part: str, *, severity: str = MODERATE, extra: str = "", **links: Any) -> Iterator[Row]:
    for offset, (fault, text) in enumerate(CIRCUIT_FAULTS):
        description = text.format(part=part) + (f" {extra}" if extra else "")
        yield _row(
            _code("P", start + offset),
            f"{part[0].upper()}{part[1:]} {fault}",
            description,
            severity,
            SENSOR_CAUSES,
            SENSOR_REPAIRS,
            **links,
        )


def _oxygen_sensors() -> Iterator[Row]:
    faults = (
        ("circuit malfunction", "gives no usable signal"),
        ("circuit low voltage", "reads lean all the time"),
        ("circuit high voltage", "reads rich all the time"),
        ("circuit slow response", "reacts too slowly to changes in the exhaust"),
        ("circuit no activity detected", "does not switch at all"),
        ("heater circuit malfunction", "has a heater that does not warm it up"),
    )
    starts = {(1, 1): 130, (1, 2): 136, (1, 3): 142, (2, 1): 150, (2, 2): 156, (2, 3): 162}
    for (bank, sensor), start in starts.items():
        where = "before the catalytic converter" if sensor == 1 else "after the catalytic converter"
        for offset, (fault, text) in enumerate(faults):
            yield _row(
                _code("P", start + offset),
                f"O2 sensor {fault} (bank {bank}, sensor {sensor})",
                f"The oxygen sensor {where} on bank {bank} {text}. Fuel use and emissions may rise.",
                MODERATE,
                [
                    "A worn-out oxygen sensor",
                    "Damaged wiring or a blown heater fuse",
                    "An exhaust leak near the sensor",
                ],
                ["Check the sensor's wiring and fuse", "Replace the oxygen sensor if it tests bad"],
            )


def _cylinders(count: int = 12) -> range:
    return range(1, count + 1)


def _powertrain() -> Iterator[Row]:
    yield from _sensor_family(100, "mass air flow sensor", extra="The engine may hesitate or stall.")
    yield from _sensor_family(105, "manifold pressure / barometric pressure sensor")
    yield from _sensor_family(110, "intake air temperature sensor", severity=INFORMATIONAL)
    yield from _sensor_family(
        115,
        "engine coolant temperature sensor",
        extra="Watch the temperature gauge: the fan may not switch on when it should.",
        lights=(CHECK_ENGINE, "coolant_temp"),
    )
    yield from _sensor_family(120, "throttle / pedal position sensor A", extra="The car may limit its power.")
    yield _row(
        "P0125",
        "Coolant too cold for closed-loop fuel control",
        "The engine takes too long to warm up, so it runs rich for longer than it should.",
        INFORMATIONAL,
        ["A thermostat stuck open", "A faulty coolant temperature sensor", "Low coolant"],
        ["Check the coolant level", "Replace the thermostat if the engine warms slowly"],
    )
    yield _row(
        "P0128",
        "Coolant thermostat below regulating temperature",
        "The engine never reaches its normal working temperature.",
        INFORMATIONAL,
        ["A thermostat stuck open", "A faulty coolant temperature sensor"],
        ["Replace the thermostat", "Test the coolant temperature sensor"],
        lights=(CHECK_ENGINE, "coolant_cold"),
    )
    yield from _oxygen_sensors()
    trims = (
        (170, "Fuel trim malfunction (bank 1)", "adjust the mixture within its limits"),
        (171, "System too lean (bank 1)", "add enough fuel: too much air reaches the engine"),
        (172, "System too rich (bank 1)", "take away enough fuel: too much reaches the engine"),
        (173, "Fuel trim malfunction (bank 2)", "adjust the mixture within its limits"),
        (174, "System too lean (bank 2)", "add enough fuel: too much air reaches the engine"),
        (175, "System too rich (bank 2)", "take away enough fuel: too much reaches the engine"),
    )
    for number, meaning, text in trims:
        lean = "lean" in meaning
        yield _row(
            _code("P", number),
            meaning,
            f"The engine computer can no longer {text}.",
            MODERATE,
            ["A vacuum leak", "A dirty mass air flow sensor", "A weak fuel pump or clogged fuel filter"]
            if lean
            else ["Leaking injectors", "Too much fuel pressure", "A faulty oxygen or air flow sensor"],
            [
                "Look for cracked intake hoses and vacuum leaks",
                "Clean or test the mass air flow sensor",
                "Test the fuel pressure",
            ],
            sounds=("vacuum_leak",) if lean else (),
        )
    yield from _sensor_family(180, "fuel temperature sensor A", severity=INFORMATIONAL)
    yield from _sensor_family(185, "fuel temperature sensor B", severity=INFORMATIONAL)
    yield from _sensor_family(190, "fuel rail pressure sensor", extra="The engine may run poorly or not start.")
    yield from _sensor_family(195, "engine oil temperature sensor", severity=INFORMATIONAL)
    yield _row(
        "P0200",
        "Injector circuit malfunction",
        "The engine computer cannot drive the fuel injectors properly.",
        MODERATE,
        ["Damaged injector wiring", "A failed injector", "An injector driver fault in the computer"],
        ["Test each injector's resistance and wiring"],
    )
    for cylinder in _cylinders():
        yield _row(
            _code("P", 200 + cylinder),
            f"Injector circuit malfunction, cylinder {cylinder}",
            f"The injector of cylinder {cylinder} does not respond as commanded; that cylinder may misfire.",
            MODERATE,
            ["A failed injector", "Damaged injector wiring or connector"],
            ["Test the injector and its wiring", "Replace the injector if it is open or shorted"],
            sounds=("misfire",),
        )
    yield _row(
        "P0217",
        "Engine over-temperature condition",
        "The engine is overheating. Stop safely and switch it off before it is damaged.",
        CRITICAL,
        ["Low coolant from a leak", "A failed cooling fan or water pump", "A stuck thermostat"],
        ["Let the engine cool, then check the coolant level", "Have the cooling system pressure-tested"],
        lights=(CHECK_ENGINE, "coolant_temp"),
        sounds=("water_pump",),
    )
    yield _row(
        "P0218",
        "Transmission over-temperature condition",
        "The automatic transmission fluid is too hot. Stop and let it cool before driving on.",
        CRITICAL,
        ["Low or old transmission fluid", "Towing or hill climbing in a low gear", "A blocked fluid cooler"],
        ["Check the transmission fluid level and condition", "Have the fluid cooler inspected"],
        lights=(CHECK_ENGINE, "transmission_temp"),
    )
    yield _row(
        "P0219",
        "Engine over-speed condition",
        "The engine was revved past its safe limit.",
        MODERATE,
        ["A missed downshift", "A slipping clutch or transmission"],
        ["Have the engine and gearbox inspected"],
    )
    yield from _sensor_family(220, "throttle / pedal position sensor B", extra="The car may limit its power.")
    yield from _sensor_family(225, "throttle / pedal position sensor C", extra="The car may limit its power.")
    yield _row(
        "P0230",
        "Fuel pump primary circuit malfunction",
        "The fuel pump's relay circuit does not work; the engine may not start or may stall.",
        CRITICAL,
        ["A failed fuel pump relay or fuse", "Damaged fuel pump wiring"],
        ["Check the fuel pump fuse and relay", "Test the power and ground at the pump"],
    )
    for cylinder in _cylinders():
        start = 261 + 3 * (cylinder - 1)
        for offset, (fault, text) in enumerate(
            (
                ("circuit low", "shorted to ground"),
                ("circuit high", "open or shorted to power"),
                ("contribution/balance fault", "not adding what the others add"),
            )
        ):
            yield _row(
                _code("P", start + offset),
                f"Cylinder {cylinder} injector {fault}",
                f"The injector of cylinder {cylinder} is {text}.",
                MODERATE,
                ["A failed or clogged injector", "Damaged injector wiring"],
                ["Test the injector and its wiring", "Have the injectors cleaned or replaced"],
                sounds=("misfire",),
            )
    yield _row(
        "P0300",
        "Random or multiple cylinder misfire detected",
        "Several cylinders are misfiring. Driving on can overheat and ruin the catalytic converter.",
        CRITICAL,
        ["Worn spark plugs or failing ignition coils", "A vacuum leak", "Low fuel pressure", "Water in the fuel"],
        ["Check the spark plugs and coils", "Test the fuel pressure", "Look for vacuum leaks"],
        sounds=("misfire",),
    )
    for cylinder in _cylinders():
        yield _row(
            _code("P", 300 + cylinder),
            f"Cylinder {cylinder} misfire detected",
            f"Cylinder {cylinder} is not firing properly: the engine shakes, loses power and may damage the "
            "catalytic converter if driven hard. A flashing check-engine light means stop driving soon.",
            CRITICAL,
            [
                f"A worn spark plug in cylinder {cylinder}",
                f"A failing ignition coil on cylinder {cylinder}",
                f"A clogged or leaking injector on cylinder {cylinder}",
                "Low compression (worn valves or rings)",
            ],
            [
                "Swap the coil with another cylinder's to see whether the misfire moves",
                "Replace the spark plugs if worn",
                "Have a compression test done if the misfire stays",
            ],
            sounds=("misfire",),
        )
    for start, sensor in ((325, "knock sensor 1 (bank 1)"), (330, "knock sensor 2 (bank 2)")):
        yield from _sensor_family(
            start, sensor, extra="The engine computer may retard the timing and lose power.", sounds=("engine_knock",)
        )
    yield from _sensor_family(
        335, "crankshaft position sensor A", extra="The engine may stall or refuse to start.", severity=CRITICAL
    )
    yield from _sensor_family(340, "camshaft position sensor A (bank 1)", extra="Starting may be slow.")
    for cylinder in _cylinders():
        coil = "ABCDEFGHIJKL"[cylinder - 1]
        yield _row(
            _code("P", 350 + cylinder),
            f"Ignition coil {coil} primary/secondary circuit malfunction",
            f"The ignition coil for cylinder {cylinder} does not respond as commanded.",
            MODERATE,
            ["A failed ignition coil", "Damaged coil wiring or connector"],
            ["Test the coil and its wiring", "Replace the coil if it tests bad"],
            sounds=("misfire",),
        )
    egr = (
        (400, "Exhaust gas recirculation flow malfunction", "The EGR system does not move exhaust gas as it should."),
        (
            401,
            "Exhaust gas recirculation flow insufficient",
            "Too little exhaust gas is recirculated; knock may rise.",
        ),
        (
            402,
            "Exhaust gas recirculation flow excessive",
            "Too much exhaust gas is recirculated; the idle may be rough.",
        ),
        (403, "Exhaust gas recirculation circuit malfunction", "The EGR valve's control circuit does not work."),
        (404, "Exhaust gas recirculation circuit range/performance", "The EGR valve does not move as commanded."),
        (405, "Exhaust gas recirculation sensor A circuit low", "The EGR position sensor reads too low."),
        (406, "Exhaust gas recirculation sensor A circuit high", "The EGR position sensor reads too high."),
    )
    for number, meaning, text in egr:
        yield _row(
            _code("P", number),
            meaning,
            text,
            MODERATE,
            [
                "Carbon deposits in the EGR valve or passages",
                "A failed EGR valve or its sensor",
                "A leaking vacuum line to the valve",
            ],
            ["Clean the EGR valve and passages", "Replace the EGR valve if it sticks"],
        )
    yield _row(
        "P0410",
        "Secondary air injection system malfunction",
        "The pump that blows air into the exhaust at cold start does not work.",
        INFORMATIONAL,
        ["A failed air pump or check valve", "A blown fuse"],
        ["Test the air pump and its fuse"],
    )
    yield _row(
        "P0411",
        "Secondary air injection system incorrect flow",
        "The cold-start air pump moves too little air.",
        INFORMATIONAL,
        ["A clogged check valve", "A weak air pump"],
        ["Inspect the air pump hoses and valves"],
    )
    for number, bank, warm in ((420, 1, False), (421, 1, True), (430, 2, False), (431, 2, True)):
        meaning = f"{'Warm-up catalyst' if warm else 'Catalyst system'} efficiency below threshold (bank {bank})"
        yield _row(
            _code("P", number),
            meaning,
            f"The catalytic converter on bank {bank} no longer cleans the exhaust well enough. The car runs, "
            "but it may fail an emissions test.",
            MODERATE,
            [
                "A worn-out catalytic converter",
                "A faulty downstream oxygen sensor",
                "An exhaust leak",
                "A past misfire that overheated the converter",
            ],
            [
                "Fix any misfire or exhaust leak first",
                "Test the oxygen sensors",
                "Replace the catalytic converter if it has failed",
            ],
            sounds=("exhaust_leak",),
        )
    evap = (
        (440, "Evaporative emission system malfunction", "The fuel vapour system has a fault."),
        (441, "Evaporative emission system incorrect purge flow", "Fuel vapour is not purged as it should be."),
        (442, "Evaporative emission system leak detected (small leak)", "The fuel vapour system leaks a little."),
        (
            443,
            "Evaporative emission purge control valve circuit malfunction",
            "The purge valve circuit does not work.",
        ),
        (
            446,
            "Evaporative emission vent control circuit malfunction",
            "The vapour vent valve circuit does not work.",
        ),
        (455, "Evaporative emission system leak detected (large leak)", "The fuel vapour system leaks a lot."),
        (
            456,
            "Evaporative emission system leak detected (very small leak)",
            "The fuel vapour system leaks a tiny bit.",
        ),
    )
    for number, meaning, text in evap:
        yield _row(
            _code("P", number),
            meaning,
            f"{text} It does not affect how the car drives.",
            INFORMATIONAL,
            ["A loose, worn or missing fuel cap", "A cracked vapour hose", "A faulty purge or vent valve"],
            ["Tighten or replace the fuel cap, then drive a few days", "Have the system smoke-tested for leaks"],
        )
    yield from (
        _row(
            _code("P", 460 + offset),
            f"Fuel level sensor circuit {fault}",
            "The fuel gauge reading cannot be trusted.",
            INFORMATIONAL,
            SENSOR_CAUSES,
            SENSOR_REPAIRS,
            lights=(CHECK_ENGINE, "low_fuel"),
        )
        for offset, fault in enumerate(("malfunction", "range/performance", "low input", "high input"))
    )
    for number, fan in ((480, 1), (481, 2)):
        yield _row(
            _code("P", number),
            f"Cooling fan {fan} control circuit malfunction",
            "The radiator fan may not switch on: the engine can overheat in traffic.",
            CRITICAL,
            ["A failed fan relay or fuse", "A failed fan motor", "Damaged wiring"],
            ["Check the fan fuse and relay", "Test the fan motor"],
            lights=(CHECK_ENGINE, "coolant_temp"),
        )
    speed = ("malfunction", "range/performance", "low input", "intermittent/erratic/high")
    for offset, fault in enumerate(speed):
        yield _row(
            _code("P", 500 + offset),
            f"Vehicle speed sensor {fault}",
            "The car's speed signal is missing or wrong; the speedometer and shifting may misbehave.",
            MODERATE,
            SENSOR_CAUSES,
            SENSOR_REPAIRS,
            lights=(CHECK_ENGINE, "abs"),
        )
    idle = (
        (505, "Idle air control system malfunction", "The engine cannot hold its idle speed."),
        (506, "Idle air control system RPM lower than expected", "The engine idles too slowly and may stall."),
        (507, "Idle air control system RPM higher than expected", "The engine idles too fast."),
    )
    for number, meaning, text in idle:
        yield _row(
            _code("P", number),
            meaning,
            text,
            MODERATE,
            ["A dirty throttle body or idle valve", "A vacuum leak"],
            ["Clean the throttle body", "Look for vacuum leaks"],
            sounds=("vacuum_leak",),
        )
    for offset, fault in enumerate(
        ("circuit malfunction", "circuit range/performance", "circuit low input", "circuit high input")
    ):
        yield _row(
            _code("P", 520 + offset),
            f"Engine oil pressure sensor/switch {fault}",
            "The oil pressure reading cannot be trusted. Check the oil level before driving on.",
            MODERATE,
            SENSOR_CAUSES,
            ["Check the oil level", *SENSOR_REPAIRS],
            lights=(CHECK_ENGINE, "oil_pressure"),
        )
    yield _row(
        "P0524",
        "Engine oil pressure too low",
        "The engine is not getting enough oil pressure. Stop safely and switch it off now.",
        CRITICAL,
        ["Low oil level", "A failing oil pump", "Worn engine bearings", "The wrong oil grade"],
        ["Check and top up the oil", "Have the real oil pressure measured before driving"],
        lights=(CHECK_ENGINE, "oil_pressure"),
        sounds=("rod_knock",),
    )
    yield _row(
        "P0530",
        "A/C refrigerant pressure sensor circuit malfunction",
        "The air conditioning may switch itself off.",
        INFORMATIONAL,
        SENSOR_CAUSES,
        SENSOR_REPAIRS,
    )
    voltage = (
        (560, "System voltage malfunction"),
        (561, "System voltage unstable"),
        (562, "System voltage low"),
        (563, "System voltage high"),
    )
    for number, meaning in voltage:
        yield _row(
            _code("P", number),
            meaning,
            "The car's electrical supply is outside its normal range.",
            MODERATE,
            ["A weak battery", "A failing alternator or regulator", "Loose or corroded battery terminals"],
            ["Test the battery and charging system", "Clean and tighten the battery terminals"],
            lights=(CHECK_ENGINE, "battery"),
            sounds=("alternator",),
        )
    computer = (
        (600, "Serial communication link malfunction"),
        (601, "Internal control module memory check sum error"),
        (602, "Control module programming error"),
        (603, "Internal control module keep-alive memory error"),
        (604, "Internal control module RAM error"),
        (605, "Internal control module ROM error"),
        (606, "Control module processor fault"),
    )
    for number, meaning in computer:
        yield _row(
            _code("P", number),
            meaning,
            "The engine computer reports a fault in itself.",
            MODERATE,
            ["A failing engine computer", "A poor power or ground supply to it", "Interrupted reprogramming"],
            ["Check the computer's power and ground", "Have it reprogrammed or replaced by a garage"],
        )
    yield _row(
        "P0700",
        "Transmission control system malfunction",
        "The transmission computer has stored a fault of its own; read it with a transmission-capable scanner.",
        MODERATE,
        ["Any transmission fault"],
        ["Read the transmission computer's codes"],
        lights=(CHECK_ENGINE, "transmission_temp"),
    )
    yield _row(
        "P0705",
        "Transmission range sensor circuit malfunction",
        "The car does not know which gear the selector is in.",
        MODERATE,
        SENSOR_CAUSES,
        SENSOR_REPAIRS,
    )
    yield from _sensor_family(710, "transmission fluid temperature sensor A")
    yield _row(
        "P0715",
        "Input/turbine speed sensor A circuit malfunction",
        "The transmission cannot read its input speed; shifting may be harsh.",
        MODERATE,
        SENSOR_CAUSES,
        SENSOR_REPAIRS,
    )
    yield _row(
        "P0720",
        "Output speed sensor circuit malfunction",
        "The transmission cannot read its output speed; shifting may be harsh.",
        MODERATE,
        SENSOR_CAUSES,
        SENSOR_REPAIRS,
    )
    yield _row(
        "P0730",
        "Incorrect gear ratio",
        "The transmission is slipping: engine and wheel speeds do not match.",
        MODERATE,
        ["Low or burnt transmission fluid", "Worn clutches inside the transmission"],
        ["Check the transmission fluid", "Have the transmission inspected"],
    )
    for gear in range(1, 7):
        label = "reverse" if gear == 6 else f"gear {gear}"
        yield _row(
            _code("P", 730 + gear),
            f"{label[0].upper()}{label[1:]} incorrect ratio",
            f"The transmission slips in {label}.",
            MODERATE,
            ["Low or burnt transmission fluid", "Worn clutches or bands"],
            ["Check the transmission fluid", "Have the transmission inspected"],
        )
    yield _row(
        "P0740",
        "Torque converter clutch circuit malfunction",
        "The torque converter cannot lock up; fuel use rises.",
        MODERATE,
        ["A failed lock-up solenoid", "Damaged wiring"],
        ["Test the solenoid and its wiring"],
    )
    yield _row(
        "P0741",
        "Torque converter clutch circuit performance or stuck off",
        "The torque converter slips when it should be locked.",
        MODERATE,
        ["Worn torque converter clutch", "Old transmission fluid"],
        ["Change the transmission fluid"],
    )
    for number, solenoid in ((750, "A"), (755, "B"), (760, "C"), (765, "D"), (770, "E")):
        yield _row(
            _code("P", number),
            f"Shift solenoid {solenoid} malfunction",
            f"Shift solenoid {solenoid} does not work; the transmission may stick in one gear.",
            MODERATE,
            ["A failed solenoid", "Dirty transmission fluid", "Damaged wiring"],
            ["Test the solenoid", "Change the transmission fluid and filter"],
        )


def _body_chassis_network() -> Iterator[Row]:
    airbag_causes = [
        "A damaged clock spring in the steering wheel",
        "A loose connector under a seat",
        "A failed airbag module or sensor",
    ]
    airbag_repairs = ["Have the airbag system checked by a garage; do not probe airbag wiring yourself"]
    for code, meaning in (
        ("B0001", "Driver frontal stage 1 deployment control"),
        ("B0002", "Driver frontal stage 2 deployment control"),
        ("B0010", "Passenger frontal stage 1 deployment control"),
        ("B0011", "Passenger frontal stage 2 deployment control"),
    ):
        yield _row(
            code,
            meaning,
            "An airbag circuit has a fault, so that airbag may not deploy in a crash.",
            MODERATE,
            airbag_causes,
            airbag_repairs,
            lights=("airbag",),
        )
    for code, wheel in (
        ("C0035", "left front"),
        ("C0040", "right front"),
        ("C0045", "left rear"),
        ("C0050", "right rear"),
    ):
        yield _row(
            code,
            f"Wheel speed sensor circuit, {wheel}",
            f"The {wheel} wheel speed sensor gives no usable signal: ABS and traction control are off.",
            MODERATE,
            ["A dirty or damaged sensor", "Damaged sensor wiring", "A worn wheel bearing"],
            ["Clean and inspect the sensor and its wiring", "Replace the sensor if it tests bad"],
            lights=("abs", "traction_control"),
            sounds=("wheel_bearing",),
        )
    network = (
        ("U0001", "High speed CAN communication bus", MODERATE, ("check_engine",)),
        ("U0073", "Control module communication bus A off", MODERATE, ("check_engine",)),
        ("U0100", "Lost communication with ECM/PCM A", CRITICAL, ("check_engine",)),
        ("U0101", "Lost communication with TCM", MODERATE, ("check_engine", "transmission_temp")),
        ("U0121", "Lost communication with ABS control module", MODERATE, ("abs",)),
        ("U0140", "Lost communication with body control module", MODERATE, ()),
        ("U0151", "Lost communication with restraints control module", MODERATE, ("airbag",)),
        ("U0155", "Lost communication with instrument panel cluster", MODERATE, ()),
    )
    for code, meaning, severity, lights in network:
        yield _row(
            code,
            meaning,
            "Control modules cannot talk to each other over the car's network.",
            severity,
            ["A weak battery or poor ground", "A damaged network wire or connector", "A failed module"],
            ["Test the battery and grounds", "Have the network wiring checked by a garage"],
            lights=lights,
        )


def trouble_code_rows() -> list[Row]:
    """Every seeded code, in code order."""
    return sorted([*_powertrain(), *_body_chassis_network()], key=lambda row: row["code"])
