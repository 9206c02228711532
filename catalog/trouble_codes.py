"""The seeded OBD-II trouble codes: the common generic SAE J2012 powertrain set (P0xxx) and common B, C, U codes.

The codes are a public standard; every meaning, description, cause and suggestion here is CarDoc's own
wording, written from general automotive knowledge, so we may ship it (see README, *Seed content*). Codes
come in families that share one wording (a sensor's five circuit faults, one misfire per cylinder), which
is why this is code rather than a JSON file: one family is written once, in both languages.

Every text is a pair, English then French, side by side so that a translator sees what each sentence says.
The French is the workshop French of Cameroon and France ("calculateur moteur", "sonde lambda", "banc 1",
"raté d'allumage"). ``trouble_code_rows()`` gives each row's English under the field's name (``meaning``)
and its French under ``<field>_fr``, for ``catalog.services`` to seed.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

CRITICAL = "critical"
MODERATE = "moderate"
INFORMATIONAL = "informational"
CHECK_ENGINE = "check_engine"

Row = dict[str, Any]
# One text, in English and in French.
Say = tuple[str, str]

TRANSLATED_FIELDS = ("meaning", "description", "common_causes", "repair_suggestions")

# The five circuit faults J2012 gives most sensors, in code order: the title's ending, then what the driver
# is told, with {part} (English) or {du} ("du capteur ...", French) for the sensor.
CIRCUIT_FAULTS: tuple[tuple[Say, Say], ...] = (
    (
        ("circuit malfunction", "dysfonctionnement du circuit"),
        (
            "The engine computer sees no sensible signal from the {part}.",
            "Le calculateur moteur ne reçoit aucun signal cohérent {du}.",
        ),
    ),
    (
        ("circuit range/performance", "plage ou performance du circuit incorrecte"),
        (
            "The {part} reads, but its values do not agree with what the engine is doing.",
            "Les valeurs {du} ne correspondent pas à ce que fait réellement le moteur.",
        ),
    ),
    (
        ("circuit low input", "signal d'entrée du circuit trop bas"),
        (
            "The {part} signal is stuck lower than it can really be.",
            "Le signal {du} reste bloqué plus bas que ce qui est physiquement possible.",
        ),
    ),
    (
        ("circuit high input", "signal d'entrée du circuit trop élevé"),
        (
            "The {part} signal is stuck higher than it can really be.",
            "Le signal {du} reste bloqué plus haut que ce qui est physiquement possible.",
        ),
    ),
    (
        ("circuit intermittent", "circuit intermittent"),
        ("The {part} signal keeps dropping out.", "Le signal {du} se coupe par moments."),
    ),
)
SENSOR_CAUSES: list[Say] = [
    ("A damaged, loose or corroded connector at the sensor", "Connecteur du capteur endommagé, desserré ou oxydé"),
    (
        "Chafed or broken wiring between the sensor and the engine computer",
        "Câblage frotté ou coupé entre le capteur et le calculateur moteur",
    ),
    ("A failed sensor", "Capteur défectueux"),
]
SENSOR_REPAIRS: list[Say] = [
    (
        "Inspect the connector and wiring, and repair any damage",
        "Contrôlez le connecteur et le câblage, et réparez tout dommage",
    ),
    (
        "Test the sensor's signal with a multimeter or scan tool before replacing it",
        "Testez le signal du capteur au multimètre ou à la valise de diagnostic avant de le remplacer",
    ),
    (
        "Clear the code and drive to see whether it returns",
        "Effacez le code et roulez pour voir s'il réapparaît",
    ),
]
CIRCUIT_TRIO: tuple[Say, ...] = (
    ("circuit malfunction", "dysfonctionnement du circuit"),
    ("circuit range/performance", "plage ou performance du circuit incorrecte"),
    ("circuit low input", "signal d'entrée du circuit trop bas"),
    ("circuit high input", "signal d'entrée du circuit trop élevé"),
)


def _row(
    code: str,
    meaning: Say,
    description: Say,
    severity: str,
    causes: Sequence[Say],
    repairs: Sequence[Say],
    *,
    lights: tuple[str, ...] = (CHECK_ENGINE,),
    sounds: tuple[str, ...] = (),
) -> Row:
    return {
        "code": code,
        "system": code[0],
        "meaning": meaning[0],
        "description": description[0],
        "common_causes": [en for en, _ in causes],
        "repair_suggestions": [en for en, _ in repairs],
        "meaning_fr": meaning[1],
        "description_fr": description[1],
        "common_causes_fr": [fr for _, fr in causes],
        "repair_suggestions_fr": [fr for _, fr in repairs],
        "severity": severity,
        "warning_lights": list(lights),
        "engine_sounds": list(sounds),
    }


def _code(prefix: str, number: int) -> str:
    return f"{prefix}{number:04d}"


def _capital(text: str) -> str:
    return f"{text[0].upper()}{text[1:]}"


def _sensor_family(
    start: int, part: Say, *, severity: str = MODERATE, extra: Say | None = None, **links: Any
) -> Iterator[Row]:
    """A sensor's five circuit faults. ``part`` is the sensor in lower case; every French one here is a
    masculine noun starting with a consonant ("capteur", "débitmètre"), so "of the sensor" is "du ..."."""
    english, french = part
    for offset, (fault, text) in enumerate(CIRCUIT_FAULTS):
        description = (
            text[0].format(part=english) + (f" {extra[0]}" if extra else ""),
            text[1].format(du=f"du {french}") + (f" {extra[1]}" if extra else ""),
        )
        yield _row(
            _code("P", start + offset),
            (f"{_capital(english)} {fault[0]}", f"{_capital(french)} : {fault[1]}"),
            description,
            severity,
            SENSOR_CAUSES,
            SENSOR_REPAIRS,
            **links,
        )


def _oxygen_sensors() -> Iterator[Row]:
    faults: tuple[tuple[Say, Say], ...] = (
        (
            ("circuit malfunction", "dysfonctionnement du circuit"),
            ("gives no usable signal", "ne donne aucun signal exploitable"),
        ),
        (
            ("circuit low voltage", "tension du circuit trop basse"),
            ("reads lean all the time", "indique en permanence un mélange pauvre"),
        ),
        (
            ("circuit high voltage", "tension du circuit trop élevée"),
            ("reads rich all the time", "indique en permanence un mélange riche"),
        ),
        (
            ("circuit slow response", "réponse trop lente du circuit"),
            (
                "reacts too slowly to changes in the exhaust",
                "réagit trop lentement aux variations des gaz d'échappement",
            ),
        ),
        (
            ("circuit no activity detected", "aucune activité détectée sur le circuit"),
            ("does not switch at all", "ne bascule plus du tout"),
        ),
        (
            ("heater circuit malfunction", "dysfonctionnement du circuit de chauffage"),
            ("has a heater that does not warm it up", "n'est plus chauffée : son élément chauffant ne fonctionne pas"),
        ),
    )
    starts = {(1, 1): 130, (1, 2): 136, (1, 3): 142, (2, 1): 150, (2, 2): 156, (2, 3): 162}
    for (bank, sensor), start in starts.items():
        where = (
            ("before the catalytic converter", "en amont du catalyseur")
            if sensor == 1
            else ("after the catalytic converter", "en aval du catalyseur")
        )
        for offset, (fault, text) in enumerate(faults):
            yield _row(
                _code("P", start + offset),
                (
                    f"O2 sensor {fault[0]} (bank {bank}, sensor {sensor})",
                    f"Sonde lambda (banc {bank}, sonde {sensor}) : {fault[1]}",
                ),
                (
                    f"The oxygen sensor {where[0]} on bank {bank} {text[0]}. Fuel use and emissions may rise.",
                    f"La sonde lambda {where[1]} du banc {bank} {text[1]}. La consommation et les émissions "
                    "polluantes peuvent augmenter.",
                ),
                MODERATE,
                [
                    ("A worn-out oxygen sensor", "Sonde lambda usée"),
                    ("Damaged wiring or a blown heater fuse", "Câblage endommagé ou fusible du chauffage grillé"),
                    ("An exhaust leak near the sensor", "Fuite d'échappement près de la sonde"),
                ],
                [
                    ("Check the sensor's wiring and fuse", "Contrôlez le câblage et le fusible de la sonde"),
                    (
                        "Replace the oxygen sensor if it tests bad",
                        "Remplacez la sonde lambda si le test la donne défectueuse",
                    ),
                ],
            )


def _cylinders(count: int = 12) -> range:
    return range(1, count + 1)


THROTTLE_EXTRA: Say = ("The car may limit its power.", "La voiture peut limiter sa puissance (mode dégradé).")
TRANSMISSION_FLUID: Say = ("Check the transmission fluid", "Contrôlez l'huile de boîte de vitesses")
TRANSMISSION_INSPECTED: Say = ("Have the transmission inspected", "Faites contrôler la boîte de vitesses")


def _powertrain() -> Iterator[Row]:
    yield from _sensor_family(
        100,
        ("mass air flow sensor", "débitmètre d'air massique"),
        extra=("The engine may hesitate or stall.", "Le moteur peut avoir des trous à l'accélération ou caler."),
    )
    yield from _sensor_family(
        105,
        (
            "manifold pressure / barometric pressure sensor",
            "capteur de pression absolue du collecteur / pression atmosphérique",
        ),
    )
    yield from _sensor_family(
        110, ("intake air temperature sensor", "capteur de température d'air d'admission"), severity=INFORMATIONAL
    )
    yield from _sensor_family(
        115,
        ("engine coolant temperature sensor", "capteur de température du liquide de refroidissement"),
        extra=(
            "Watch the temperature gauge: the fan may not switch on when it should.",
            "Surveillez la jauge de température : le ventilateur peut ne pas se déclencher au bon moment.",
        ),
        lights=(CHECK_ENGINE, "coolant_temp"),
    )
    yield from _sensor_family(
        120,
        ("throttle / pedal position sensor A", "capteur A de position du papillon / de la pédale"),
        extra=THROTTLE_EXTRA,
    )
    yield _row(
        "P0125",
        (
            "Coolant too cold for closed-loop fuel control",
            "Liquide de refroidissement trop froid pour la régulation de richesse en boucle fermée",
        ),
        (
            "The engine takes too long to warm up, so it runs rich for longer than it should.",
            "Le moteur met trop de temps à chauffer : il tourne en mélange riche plus longtemps que prévu.",
        ),
        INFORMATIONAL,
        [
            ("A thermostat stuck open", "Thermostat bloqué en position ouverte"),
            (
                "A faulty coolant temperature sensor",
                "Capteur de température du liquide de refroidissement défectueux",
            ),
            ("Low coolant", "Niveau de liquide de refroidissement bas"),
        ],
        [
            ("Check the coolant level", "Vérifiez le niveau du liquide de refroidissement"),
            (
                "Replace the thermostat if the engine warms slowly",
                "Remplacez le thermostat si le moteur chauffe lentement",
            ),
        ],
    )
    yield _row(
        "P0128",
        (
            "Coolant thermostat below regulating temperature",
            "Thermostat : liquide de refroidissement sous la température de régulation",
        ),
        (
            "The engine never reaches its normal working temperature.",
            "Le moteur n'atteint jamais sa température normale de fonctionnement.",
        ),
        INFORMATIONAL,
        [
            ("A thermostat stuck open", "Thermostat bloqué en position ouverte"),
            (
                "A faulty coolant temperature sensor",
                "Capteur de température du liquide de refroidissement défectueux",
            ),
        ],
        [
            ("Replace the thermostat", "Remplacez le thermostat"),
            (
                "Test the coolant temperature sensor",
                "Testez le capteur de température du liquide de refroidissement",
            ),
        ],
        lights=(CHECK_ENGINE, "coolant_cold"),
    )
    yield from _oxygen_sensors()
    trims: tuple[tuple[Say, Say, bool], ...] = (
        (
            ("Fuel trim malfunction", "Dysfonctionnement de la correction de richesse"),
            ("adjust the mixture within its limits", "n'arrive plus à ajuster le mélange dans ses limites"),
            False,
        ),
        (
            ("System too lean", "Mélange trop pauvre"),
            (
                "add enough fuel: too much air reaches the engine",
                "n'arrive plus à ajouter assez de carburant : trop d'air arrive au moteur",
            ),
            True,
        ),
        (
            ("System too rich", "Mélange trop riche"),
            (
                "take away enough fuel: too much reaches the engine",
                "n'arrive plus à retirer assez de carburant : le moteur en reçoit trop",
            ),
            False,
        ),
    )
    banks = [(170 + 3 * (bank - 1) + offset, bank, trim) for bank in (1, 2) for offset, trim in enumerate(trims)]
    for number, bank, (title, text, lean) in banks:
        meaning = (f"{title[0]} (bank {bank})", f"{title[1]} (banc {bank})")
        yield _row(
            _code("P", number),
            meaning,
            (f"The engine computer can no longer {text[0]}.", f"Le calculateur moteur {text[1]}."),
            MODERATE,
            [
                ("A vacuum leak", "Prise d'air (fuite de dépression)"),
                ("A dirty mass air flow sensor", "Débitmètre d'air massique encrassé"),
                (
                    "A weak fuel pump or clogged fuel filter",
                    "Pompe à carburant faible ou filtre à carburant colmaté",
                ),
            ]
            if lean
            else [
                ("Leaking injectors", "Injecteurs qui fuient"),
                ("Too much fuel pressure", "Pression de carburant trop élevée"),
                ("A faulty oxygen or air flow sensor", "Sonde lambda ou débitmètre d'air défectueux"),
            ],
            [
                (
                    "Look for cracked intake hoses and vacuum leaks",
                    "Cherchez des durites d'admission fissurées et des prises d'air",
                ),
                ("Clean or test the mass air flow sensor", "Nettoyez ou testez le débitmètre d'air massique"),
                ("Test the fuel pressure", "Contrôlez la pression de carburant"),
            ],
            sounds=("vacuum_leak",) if lean else (),
        )
    yield from _sensor_family(
        180, ("fuel temperature sensor A", "capteur A de température du carburant"), severity=INFORMATIONAL
    )
    yield from _sensor_family(
        185, ("fuel temperature sensor B", "capteur B de température du carburant"), severity=INFORMATIONAL
    )
    yield from _sensor_family(
        190,
        ("fuel rail pressure sensor", "capteur de pression de la rampe d'injection"),
        extra=("The engine may run poorly or not start.", "Le moteur peut mal tourner ou ne pas démarrer."),
    )
    yield from _sensor_family(
        195, ("engine oil temperature sensor", "capteur de température d'huile moteur"), severity=INFORMATIONAL
    )
    yield _row(
        "P0200",
        ("Injector circuit malfunction", "Circuit des injecteurs : dysfonctionnement"),
        (
            "The engine computer cannot drive the fuel injectors properly.",
            "Le calculateur moteur n'arrive pas à commander correctement les injecteurs.",
        ),
        MODERATE,
        [
            ("Damaged injector wiring", "Câblage des injecteurs endommagé"),
            ("A failed injector", "Injecteur défectueux"),
            (
                "An injector driver fault in the computer",
                "Défaut de l'étage de commande des injecteurs dans le calculateur",
            ),
        ],
        [("Test each injector's resistance and wiring", "Contrôlez la résistance et le câblage de chaque injecteur")],
    )
    for cylinder in _cylinders():
        yield _row(
            _code("P", 200 + cylinder),
            (
                f"Injector circuit malfunction, cylinder {cylinder}",
                f"Circuit de l'injecteur du cylindre {cylinder} : dysfonctionnement",
            ),
            (
                f"The injector of cylinder {cylinder} does not respond as commanded; that cylinder may misfire.",
                f"L'injecteur du cylindre {cylinder} ne répond pas à la commande ; ce cylindre peut avoir des "
                "ratés d'allumage.",
            ),
            MODERATE,
            [
                ("A failed injector", "Injecteur défectueux"),
                ("Damaged injector wiring or connector", "Câblage ou connecteur de l'injecteur endommagé"),
            ],
            [
                ("Test the injector and its wiring", "Testez l'injecteur et son câblage"),
                (
                    "Replace the injector if it is open or shorted",
                    "Remplacez l'injecteur s'il est coupé ou en court-circuit",
                ),
            ],
            sounds=("misfire",),
        )
    yield _row(
        "P0217",
        ("Engine over-temperature condition", "Surchauffe du moteur"),
        (
            "The engine is overheating. Stop safely and switch it off before it is damaged.",
            "Le moteur surchauffe. Arrêtez-vous en sécurité et coupez le moteur avant qu'il ne soit endommagé.",
        ),
        CRITICAL,
        [
            ("Low coolant from a leak", "Manque de liquide de refroidissement à cause d'une fuite"),
            ("A failed cooling fan or water pump", "Ventilateur de refroidissement ou pompe à eau en panne"),
            ("A stuck thermostat", "Thermostat bloqué"),
        ],
        [
            (
                "Let the engine cool, then check the coolant level",
                "Laissez refroidir le moteur, puis vérifiez le niveau du liquide de refroidissement",
            ),
            (
                "Have the cooling system pressure-tested",
                "Faites tester l'étanchéité du circuit de refroidissement sous pression",
            ),
        ],
        lights=(CHECK_ENGINE, "coolant_temp"),
        sounds=("water_pump",),
    )
    yield _row(
        "P0218",
        ("Transmission over-temperature condition", "Surchauffe de la boîte de vitesses"),
        (
            "The automatic transmission fluid is too hot. Stop and let it cool before driving on.",
            "L'huile de la boîte automatique est trop chaude. Arrêtez-vous et laissez-la refroidir avant de repartir.",
        ),
        CRITICAL,
        [
            ("Low or old transmission fluid", "Huile de boîte de vitesses en quantité insuffisante ou usée"),
            (
                "Towing or hill climbing in a low gear",
                "Remorquage ou longue montée sur un rapport court",
            ),
            ("A blocked fluid cooler", "Refroidisseur d'huile de boîte obstrué"),
        ],
        [
            (
                "Check the transmission fluid level and condition",
                "Vérifiez le niveau et l'état de l'huile de boîte de vitesses",
            ),
            ("Have the fluid cooler inspected", "Faites contrôler le refroidisseur d'huile de boîte"),
        ],
        lights=(CHECK_ENGINE, "transmission_temp"),
    )
    yield _row(
        "P0219",
        ("Engine over-speed condition", "Surrégime moteur"),
        ("The engine was revved past its safe limit.", "Le moteur a dépassé son régime maximal autorisé."),
        MODERATE,
        [
            ("A missed downshift", "Rétrogradage raté"),
            ("A slipping clutch or transmission", "Embrayage ou boîte de vitesses qui patine"),
        ],
        [("Have the engine and gearbox inspected", "Faites contrôler le moteur et la boîte de vitesses")],
    )
    yield from _sensor_family(
        220,
        ("throttle / pedal position sensor B", "capteur B de position du papillon / de la pédale"),
        extra=THROTTLE_EXTRA,
    )
    yield from _sensor_family(
        225,
        ("throttle / pedal position sensor C", "capteur C de position du papillon / de la pédale"),
        extra=THROTTLE_EXTRA,
    )
    yield _row(
        "P0230",
        ("Fuel pump primary circuit malfunction", "Circuit primaire de la pompe à carburant : dysfonctionnement"),
        (
            "The fuel pump's relay circuit does not work; the engine may not start or may stall.",
            "Le circuit du relais de la pompe à carburant ne fonctionne pas ; le moteur peut ne pas démarrer ou caler.",
        ),
        CRITICAL,
        [
            ("A failed fuel pump relay or fuse", "Relais ou fusible de la pompe à carburant défectueux"),
            ("Damaged fuel pump wiring", "Câblage de la pompe à carburant endommagé"),
        ],
        [
            ("Check the fuel pump fuse and relay", "Contrôlez le fusible et le relais de la pompe à carburant"),
            (
                "Test the power and ground at the pump",
                "Mesurez l'alimentation et la masse au niveau de la pompe",
            ),
        ],
    )
    injector_faults: tuple[tuple[Say, Say], ...] = (
        (("circuit low", "circuit bas"), ("shorted to ground", "en court-circuit à la masse")),
        (("circuit high", "circuit haut"), ("open or shorted to power", "coupé ou en court-circuit au plus")),
        (
            ("contribution/balance fault", "défaut de contribution/d'équilibrage"),
            ("not adding what the others add", "n'apporte pas autant que ceux des autres cylindres"),
        ),
    )
    for cylinder in _cylinders():
        start = 261 + 3 * (cylinder - 1)
        for offset, (fault, text) in enumerate(injector_faults):
            # "Is not adding" reads "n'apporte pas", without "est": the French verb differs per fault.
            french_state = text[1] if offset == 2 else f"est {text[1]}"
            yield _row(
                _code("P", start + offset),
                (f"Cylinder {cylinder} injector {fault[0]}", f"Injecteur du cylindre {cylinder} : {fault[1]}"),
                (
                    f"The injector of cylinder {cylinder} is {text[0]}.",
                    f"L'injecteur du cylindre {cylinder} {french_state}.",
                ),
                MODERATE,
                [
                    ("A failed or clogged injector", "Injecteur défectueux ou encrassé"),
                    ("Damaged injector wiring", "Câblage de l'injecteur endommagé"),
                ],
                [
                    ("Test the injector and its wiring", "Testez l'injecteur et son câblage"),
                    ("Have the injectors cleaned or replaced", "Faites nettoyer ou remplacer les injecteurs"),
                ],
                sounds=("misfire",),
            )
    yield _row(
        "P0300",
        (
            "Random or multiple cylinder misfire detected",
            "Ratés d'allumage aléatoires ou sur plusieurs cylindres détectés",
        ),
        (
            "Several cylinders are misfiring. Driving on can overheat and ruin the catalytic converter.",
            "Plusieurs cylindres ont des ratés d'allumage. Continuer à rouler peut faire surchauffer et "
            "détruire le catalyseur.",
        ),
        CRITICAL,
        [
            (
                "Worn spark plugs or failing ignition coils",
                "Bougies usées ou bobines d'allumage défaillantes",
            ),
            ("A vacuum leak", "Prise d'air (fuite de dépression)"),
            ("Low fuel pressure", "Pression de carburant trop basse"),
            ("Water in the fuel", "Eau dans le carburant"),
        ],
        [
            ("Check the spark plugs and coils", "Contrôlez les bougies et les bobines d'allumage"),
            ("Test the fuel pressure", "Contrôlez la pression de carburant"),
            ("Look for vacuum leaks", "Cherchez les prises d'air"),
        ],
        sounds=("misfire",),
    )
    for cylinder in _cylinders():
        yield _row(
            _code("P", 300 + cylinder),
            (f"Cylinder {cylinder} misfire detected", f"Raté d'allumage détecté sur le cylindre {cylinder}"),
            (
                f"Cylinder {cylinder} is not firing properly: the engine shakes, loses power and may damage the "
                "catalytic converter if driven hard. A flashing check-engine light means stop driving soon.",
                f"Le cylindre {cylinder} n'allume pas correctement : le moteur tremble, perd de la puissance et "
                "peut endommager le catalyseur s'il est sollicité. Un voyant moteur qui clignote veut dire qu'il "
                "faut s'arrêter rapidement.",
            ),
            CRITICAL,
            [
                (f"A worn spark plug in cylinder {cylinder}", f"Bougie usée sur le cylindre {cylinder}"),
                (
                    f"A failing ignition coil on cylinder {cylinder}",
                    f"Bobine d'allumage défaillante sur le cylindre {cylinder}",
                ),
                (
                    f"A clogged or leaking injector on cylinder {cylinder}",
                    f"Injecteur encrassé ou qui fuit sur le cylindre {cylinder}",
                ),
                (
                    "Low compression (worn valves or rings)",
                    "Compression insuffisante (soupapes ou segments usés)",
                ),
            ],
            [
                (
                    "Swap the coil with another cylinder's to see whether the misfire moves",
                    "Permutez la bobine avec celle d'un autre cylindre pour voir si le raté se déplace",
                ),
                ("Replace the spark plugs if worn", "Remplacez les bougies si elles sont usées"),
                (
                    "Have a compression test done if the misfire stays",
                    "Faites faire un test de compression si le raté persiste",
                ),
            ],
            sounds=("misfire",),
        )
    knock: Say = (
        "The engine computer may retard the timing and lose power.",
        "Le calculateur moteur peut retarder l'allumage, et le moteur perd de la puissance.",
    )
    for start, sensor in (
        (325, ("knock sensor 1 (bank 1)", "capteur de cliquetis 1 (banc 1)")),
        (330, ("knock sensor 2 (bank 2)", "capteur de cliquetis 2 (banc 2)")),
    ):
        yield from _sensor_family(start, sensor, extra=knock, sounds=("engine_knock",))
    yield from _sensor_family(
        335,
        ("crankshaft position sensor A", "capteur A de position du vilebrequin"),
        extra=("The engine may stall or refuse to start.", "Le moteur peut caler ou refuser de démarrer."),
        severity=CRITICAL,
    )
    yield from _sensor_family(
        340,
        ("camshaft position sensor A (bank 1)", "capteur A de position de l'arbre à cames (banc 1)"),
        extra=("Starting may be slow.", "Le démarrage peut être long."),
    )
    for cylinder in _cylinders():
        coil = "ABCDEFGHIJKL"[cylinder - 1]
        yield _row(
            _code("P", 350 + cylinder),
            (
                f"Ignition coil {coil} primary/secondary circuit malfunction",
                f"Bobine d'allumage {coil} : dysfonctionnement du circuit primaire/secondaire",
            ),
            (
                f"The ignition coil for cylinder {cylinder} does not respond as commanded.",
                f"La bobine d'allumage du cylindre {cylinder} ne répond pas à la commande.",
            ),
            MODERATE,
            [
                ("A failed ignition coil", "Bobine d'allumage défectueuse"),
                ("Damaged coil wiring or connector", "Câblage ou connecteur de la bobine endommagé"),
            ],
            [
                ("Test the coil and its wiring", "Testez la bobine et son câblage"),
                ("Replace the coil if it tests bad", "Remplacez la bobine si le test la donne défectueuse"),
            ],
            sounds=("misfire",),
        )
    egr_fr = "Recirculation des gaz d'échappement (EGR)"
    egr: tuple[tuple[int, Say, Say], ...] = (
        (
            400,
            ("Exhaust gas recirculation flow malfunction", f"{egr_fr} : dysfonctionnement du débit"),
            (
                "The EGR system does not move exhaust gas as it should.",
                "Le système EGR ne fait pas circuler les gaz d'échappement comme il le devrait.",
            ),
        ),
        (
            401,
            ("Exhaust gas recirculation flow insufficient", f"{egr_fr} : débit insuffisant"),
            (
                "Too little exhaust gas is recirculated; knock may rise.",
                "Trop peu de gaz d'échappement sont recyclés ; le cliquetis peut augmenter.",
            ),
        ),
        (
            402,
            ("Exhaust gas recirculation flow excessive", f"{egr_fr} : débit excessif"),
            (
                "Too much exhaust gas is recirculated; the idle may be rough.",
                "Trop de gaz d'échappement sont recyclés ; le ralenti peut être instable.",
            ),
        ),
        (
            403,
            ("Exhaust gas recirculation circuit malfunction", f"{egr_fr} : dysfonctionnement du circuit"),
            (
                "The EGR valve's control circuit does not work.",
                "Le circuit de commande de la vanne EGR ne fonctionne pas.",
            ),
        ),
        (
            404,
            (
                "Exhaust gas recirculation circuit range/performance",
                f"{egr_fr} : plage ou performance du circuit incorrecte",
            ),
            ("The EGR valve does not move as commanded.", "La vanne EGR ne bouge pas comme elle est commandée."),
        ),
        (
            405,
            ("Exhaust gas recirculation sensor A circuit low", f"{egr_fr} : circuit du capteur A bas"),
            (
                "The EGR position sensor reads too low.",
                "Le capteur de position de la vanne EGR indique une valeur trop basse.",
            ),
        ),
        (
            406,
            ("Exhaust gas recirculation sensor A circuit high", f"{egr_fr} : circuit du capteur A haut"),
            (
                "The EGR position sensor reads too high.",
                "Le capteur de position de la vanne EGR indique une valeur trop haute.",
            ),
        ),
    )
    for number, meaning, text in egr:
        yield _row(
            _code("P", number),
            meaning,
            text,
            MODERATE,
            [
                (
                    "Carbon deposits in the EGR valve or passages",
                    "Dépôts de calamine dans la vanne EGR ou ses conduits",
                ),
                ("A failed EGR valve or its sensor", "Vanne EGR ou son capteur défectueux"),
                ("A leaking vacuum line to the valve", "Durite de dépression de la vanne qui fuit"),
            ],
            [
                ("Clean the EGR valve and passages", "Nettoyez la vanne EGR et ses conduits"),
                ("Replace the EGR valve if it sticks", "Remplacez la vanne EGR si elle reste grippée"),
            ],
        )
    yield _row(
        "P0410",
        ("Secondary air injection system malfunction", "Système d'injection d'air secondaire : dysfonctionnement"),
        (
            "The pump that blows air into the exhaust at cold start does not work.",
            "La pompe qui envoie de l'air dans l'échappement au démarrage à froid ne fonctionne pas.",
        ),
        INFORMATIONAL,
        [
            ("A failed air pump or check valve", "Pompe à air ou clapet anti-retour défectueux"),
            ("A blown fuse", "Fusible grillé"),
        ],
        [("Test the air pump and its fuse", "Testez la pompe à air et son fusible")],
    )
    yield _row(
        "P0411",
        ("Secondary air injection system incorrect flow", "Système d'injection d'air secondaire : débit incorrect"),
        (
            "The cold-start air pump moves too little air.",
            "La pompe à air du démarrage à froid ne débite pas assez d'air.",
        ),
        INFORMATIONAL,
        [
            ("A clogged check valve", "Clapet anti-retour bouché"),
            ("A weak air pump", "Pompe à air faible"),
        ],
        [("Inspect the air pump hoses and valves", "Contrôlez les durites et les clapets de la pompe à air")],
    )
    for number, bank, warm in ((420, 1, False), (421, 1, True), (430, 2, False), (431, 2, True)):
        yield _row(
            _code("P", number),
            (
                f"{'Warm-up catalyst' if warm else 'Catalyst system'} efficiency below threshold (bank {bank})",
                f"Efficacité {'du précatalyseur' if warm else 'du catalyseur'} sous le seuil (banc {bank})",
            ),
            (
                f"The catalytic converter on bank {bank} no longer cleans the exhaust well enough. The car runs, "
                "but it may fail an emissions test.",
                f"Le catalyseur du banc {bank} ne dépollue plus assez les gaz d'échappement. La voiture roule, "
                "mais elle peut échouer au contrôle antipollution.",
            ),
            MODERATE,
            [
                ("A worn-out catalytic converter", "Catalyseur usé"),
                ("A faulty downstream oxygen sensor", "Sonde lambda aval défectueuse"),
                ("An exhaust leak", "Fuite d'échappement"),
                (
                    "A past misfire that overheated the converter",
                    "Ancien raté d'allumage qui a fait surchauffer le catalyseur",
                ),
            ],
            [
                (
                    "Fix any misfire or exhaust leak first",
                    "Réparez d'abord tout raté d'allumage ou toute fuite d'échappement",
                ),
                ("Test the oxygen sensors", "Testez les sondes lambda"),
                (
                    "Replace the catalytic converter if it has failed",
                    "Remplacez le catalyseur s'il est hors d'usage",
                ),
            ],
            sounds=("exhaust_leak",),
        )
    evap_fr = "Système de récupération des vapeurs de carburant (EVAP)"
    evap: tuple[tuple[int, Say, Say], ...] = (
        (
            440,
            ("Evaporative emission system malfunction", f"{evap_fr} : dysfonctionnement"),
            ("The fuel vapour system has a fault.", "Le circuit des vapeurs de carburant présente un défaut."),
        ),
        (
            441,
            ("Evaporative emission system incorrect purge flow", f"{evap_fr} : débit de purge incorrect"),
            (
                "Fuel vapour is not purged as it should be.",
                "Les vapeurs de carburant ne sont pas purgées comme elles le devraient.",
            ),
        ),
        (
            442,
            ("Evaporative emission system leak detected (small leak)", f"{evap_fr} : petite fuite détectée"),
            ("The fuel vapour system leaks a little.", "Le circuit des vapeurs de carburant fuit un peu."),
        ),
        (
            443,
            (
                "Evaporative emission purge control valve circuit malfunction",
                f"{evap_fr} : dysfonctionnement du circuit de l'électrovanne de purge",
            ),
            ("The purge valve circuit does not work.", "Le circuit de l'électrovanne de purge ne fonctionne pas."),
        ),
        (
            446,
            (
                "Evaporative emission vent control circuit malfunction",
                f"{evap_fr} : dysfonctionnement du circuit de mise à l'air libre",
            ),
            (
                "The vapour vent valve circuit does not work.",
                "Le circuit de l'électrovanne de mise à l'air libre ne fonctionne pas.",
            ),
        ),
        (
            455,
            ("Evaporative emission system leak detected (large leak)", f"{evap_fr} : grosse fuite détectée"),
            ("The fuel vapour system leaks a lot.", "Le circuit des vapeurs de carburant fuit beaucoup."),
        ),
        (
            456,
            (
                "Evaporative emission system leak detected (very small leak)",
                f"{evap_fr} : très petite fuite détectée",
            ),
            ("The fuel vapour system leaks a tiny bit.", "Le circuit des vapeurs de carburant fuit très légèrement."),
        ),
    )
    for number, meaning, text in evap:
        yield _row(
            _code("P", number),
            meaning,
            (
                f"{text[0]} It does not affect how the car drives.",
                f"{text[1]} Cela ne change rien au comportement de la voiture.",
            ),
            INFORMATIONAL,
            [
                ("A loose, worn or missing fuel cap", "Bouchon de réservoir desserré, usé ou absent"),
                ("A cracked vapour hose", "Durite de vapeurs de carburant fissurée"),
                ("A faulty purge or vent valve", "Électrovanne de purge ou de mise à l'air libre défectueuse"),
            ],
            [
                (
                    "Tighten or replace the fuel cap, then drive a few days",
                    "Resserrez ou remplacez le bouchon du réservoir, puis roulez quelques jours",
                ),
                (
                    "Have the system smoke-tested for leaks",
                    "Faites rechercher les fuites au générateur de fumée",
                ),
            ],
        )
    level_faults: tuple[Say, ...] = (
        ("malfunction", "dysfonctionnement"),
        ("range/performance", "plage ou performance incorrecte"),
        ("low input", "signal d'entrée trop bas"),
        ("high input", "signal d'entrée trop élevé"),
    )
    yield from (
        _row(
            _code("P", 460 + offset),
            (f"Fuel level sensor circuit {fault[0]}", f"Circuit du capteur de niveau de carburant : {fault[1]}"),
            (
                "The fuel gauge reading cannot be trusted.",
                "L'indication de la jauge à carburant n'est pas fiable.",
            ),
            INFORMATIONAL,
            SENSOR_CAUSES,
            SENSOR_REPAIRS,
            lights=(CHECK_ENGINE, "low_fuel"),
        )
        for offset, fault in enumerate(level_faults)
    )
    for number, fan in ((480, 1), (481, 2)):
        yield _row(
            _code("P", number),
            (
                f"Cooling fan {fan} control circuit malfunction",
                f"Circuit de commande du ventilateur de refroidissement {fan} : dysfonctionnement",
            ),
            (
                "The radiator fan may not switch on: the engine can overheat in traffic.",
                "Le ventilateur du radiateur peut ne pas se déclencher : le moteur risque de surchauffer dans "
                "les embouteillages.",
            ),
            CRITICAL,
            [
                ("A failed fan relay or fuse", "Relais ou fusible du ventilateur défectueux"),
                ("A failed fan motor", "Moteur du ventilateur en panne"),
                ("Damaged wiring", "Câblage endommagé"),
            ],
            [
                ("Check the fan fuse and relay", "Contrôlez le fusible et le relais du ventilateur"),
                ("Test the fan motor", "Testez le moteur du ventilateur"),
            ],
            lights=(CHECK_ENGINE, "coolant_temp"),
        )
    speed: tuple[Say, ...] = (
        ("malfunction", "dysfonctionnement"),
        ("range/performance", "plage ou performance incorrecte"),
        ("low input", "signal d'entrée trop bas"),
        ("intermittent/erratic/high", "signal intermittent, erratique ou trop élevé"),
    )
    for offset, fault in enumerate(speed):
        yield _row(
            _code("P", 500 + offset),
            (f"Vehicle speed sensor {fault[0]}", f"Capteur de vitesse du véhicule : {fault[1]}"),
            (
                "The car's speed signal is missing or wrong; the speedometer and shifting may misbehave.",
                "Le signal de vitesse de la voiture est absent ou faux ; le compteur de vitesse et les "
                "passages de rapports peuvent être perturbés.",
            ),
            MODERATE,
            SENSOR_CAUSES,
            SENSOR_REPAIRS,
            lights=(CHECK_ENGINE, "abs"),
        )
    idle_fr = "Régulation du ralenti"
    idle: tuple[tuple[int, Say, Say], ...] = (
        (
            505,
            ("Idle air control system malfunction", f"{idle_fr} : dysfonctionnement"),
            ("The engine cannot hold its idle speed.", "Le moteur n'arrive pas à tenir son régime de ralenti."),
        ),
        (
            506,
            ("Idle air control system RPM lower than expected", f"{idle_fr} : régime plus bas que prévu"),
            (
                "The engine idles too slowly and may stall.",
                "Le moteur tourne trop lentement au ralenti et peut caler.",
            ),
        ),
        (
            507,
            ("Idle air control system RPM higher than expected", f"{idle_fr} : régime plus élevé que prévu"),
            ("The engine idles too fast.", "Le moteur tourne trop vite au ralenti."),
        ),
    )
    for number, meaning, text in idle:
        yield _row(
            _code("P", number),
            meaning,
            text,
            MODERATE,
            [
                ("A dirty throttle body or idle valve", "Boîtier papillon ou vanne de ralenti encrassé"),
                ("A vacuum leak", "Prise d'air (fuite de dépression)"),
            ],
            [
                ("Clean the throttle body", "Nettoyez le boîtier papillon"),
                ("Look for vacuum leaks", "Cherchez les prises d'air"),
            ],
            sounds=("vacuum_leak",),
        )
    for offset, fault in enumerate(CIRCUIT_TRIO):
        yield _row(
            _code("P", 520 + offset),
            (
                f"Engine oil pressure sensor/switch {fault[0]}",
                f"Capteur/manocontact de pression d'huile moteur : {fault[1]}",
            ),
            (
                "The oil pressure reading cannot be trusted. Check the oil level before driving on.",
                "L'indication de pression d'huile n'est pas fiable. Vérifiez le niveau d'huile avant de repartir.",
            ),
            MODERATE,
            SENSOR_CAUSES,
            [("Check the oil level", "Vérifiez le niveau d'huile"), *SENSOR_REPAIRS],
            lights=(CHECK_ENGINE, "oil_pressure"),
        )
    yield _row(
        "P0524",
        ("Engine oil pressure too low", "Pression d'huile moteur trop basse"),
        (
            "The engine is not getting enough oil pressure. Stop safely and switch it off now.",
            "Le moteur ne reçoit pas assez de pression d'huile. Arrêtez-vous en sécurité et coupez le moteur "
            "tout de suite.",
        ),
        CRITICAL,
        [
            ("Low oil level", "Niveau d'huile bas"),
            ("A failing oil pump", "Pompe à huile défaillante"),
            ("Worn engine bearings", "Coussinets du moteur usés"),
            ("The wrong oil grade", "Huile de viscosité inadaptée"),
        ],
        [
            ("Check and top up the oil", "Vérifiez le niveau d'huile et faites l'appoint"),
            (
                "Have the real oil pressure measured before driving",
                "Faites mesurer la pression d'huile réelle avant de reprendre la route",
            ),
        ],
        lights=(CHECK_ENGINE, "oil_pressure"),
        sounds=("rod_knock",),
    )
    yield _row(
        "P0530",
        (
            "A/C refrigerant pressure sensor circuit malfunction",
            "Circuit du capteur de pression du fluide frigorigène de climatisation : dysfonctionnement",
        ),
        ("The air conditioning may switch itself off.", "La climatisation peut se couper d'elle-même."),
        INFORMATIONAL,
        SENSOR_CAUSES,
        SENSOR_REPAIRS,
    )
    voltage: tuple[tuple[int, Say], ...] = (
        (560, ("System voltage malfunction", "Tension du circuit électrique : dysfonctionnement")),
        (561, ("System voltage unstable", "Tension du circuit électrique instable")),
        (562, ("System voltage low", "Tension du circuit électrique trop basse")),
        (563, ("System voltage high", "Tension du circuit électrique trop élevée")),
    )
    for number, meaning in voltage:
        yield _row(
            _code("P", number),
            meaning,
            (
                "The car's electrical supply is outside its normal range.",
                "L'alimentation électrique de la voiture sort de sa plage normale.",
            ),
            MODERATE,
            [
                ("A weak battery", "Batterie faible"),
                ("A failing alternator or regulator", "Alternateur ou régulateur défaillant"),
                ("Loose or corroded battery terminals", "Cosses de batterie desserrées ou oxydées"),
            ],
            [
                ("Test the battery and charging system", "Testez la batterie et le circuit de charge"),
                ("Clean and tighten the battery terminals", "Nettoyez et serrez les cosses de la batterie"),
            ],
            lights=(CHECK_ENGINE, "battery"),
            sounds=("alternator",),
        )
    computer: tuple[tuple[int, Say], ...] = (
        (600, ("Serial communication link malfunction", "Liaison de communication série : dysfonctionnement")),
        (
            601,
            (
                "Internal control module memory check sum error",
                "Erreur de somme de contrôle de la mémoire interne du calculateur",
            ),
        ),
        (602, ("Control module programming error", "Erreur de programmation du calculateur")),
        (
            603,
            (
                "Internal control module keep-alive memory error",
                "Erreur de la mémoire permanente (KAM) interne du calculateur",
            ),
        ),
        (604, ("Internal control module RAM error", "Erreur de la mémoire vive (RAM) interne du calculateur")),
        (605, ("Internal control module ROM error", "Erreur de la mémoire morte (ROM) interne du calculateur")),
        (606, ("Control module processor fault", "Défaut du processeur du calculateur")),
    )
    for number, meaning in computer:
        yield _row(
            _code("P", number),
            meaning,
            ("The engine computer reports a fault in itself.", "Le calculateur moteur signale un défaut interne."),
            MODERATE,
            [
                ("A failing engine computer", "Calculateur moteur défaillant"),
                ("A poor power or ground supply to it", "Mauvaise alimentation ou mauvaise masse du calculateur"),
                ("Interrupted reprogramming", "Reprogrammation interrompue"),
            ],
            [
                ("Check the computer's power and ground", "Contrôlez l'alimentation et la masse du calculateur"),
                (
                    "Have it reprogrammed or replaced by a garage",
                    "Faites-le reprogrammer ou remplacer par un garage",
                ),
            ],
        )
    yield _row(
        "P0700",
        ("Transmission control system malfunction", "Système de commande de la boîte de vitesses : dysfonctionnement"),
        (
            "The transmission computer has stored a fault of its own; read it with a transmission-capable scanner.",
            "Le calculateur de boîte de vitesses a enregistré son propre défaut ; lisez-le avec une valise de "
            "diagnostic qui sait lire la boîte.",
        ),
        MODERATE,
        [("Any transmission fault", "N'importe quel défaut de la boîte de vitesses")],
        [("Read the transmission computer's codes", "Lisez les codes du calculateur de boîte de vitesses")],
        lights=(CHECK_ENGINE, "transmission_temp"),
    )
    yield _row(
        "P0705",
        (
            "Transmission range sensor circuit malfunction",
            "Circuit du capteur de position du sélecteur de vitesses : dysfonctionnement",
        ),
        (
            "The car does not know which gear the selector is in.",
            "La voiture ne sait pas sur quelle position se trouve le levier de vitesses.",
        ),
        MODERATE,
        SENSOR_CAUSES,
        SENSOR_REPAIRS,
    )
    yield from _sensor_family(
        710, ("transmission fluid temperature sensor A", "capteur A de température d'huile de boîte de vitesses")
    )
    yield _row(
        "P0715",
        (
            "Input/turbine speed sensor A circuit malfunction",
            "Circuit du capteur A de vitesse d'entrée/de turbine : dysfonctionnement",
        ),
        (
            "The transmission cannot read its input speed; shifting may be harsh.",
            "La boîte de vitesses ne lit plus sa vitesse d'entrée ; les passages de rapports peuvent être brutaux.",
        ),
        MODERATE,
        SENSOR_CAUSES,
        SENSOR_REPAIRS,
    )
    yield _row(
        "P0720",
        ("Output speed sensor circuit malfunction", "Circuit du capteur de vitesse de sortie : dysfonctionnement"),
        (
            "The transmission cannot read its output speed; shifting may be harsh.",
            "La boîte de vitesses ne lit plus sa vitesse de sortie ; les passages de rapports peuvent être brutaux.",
        ),
        MODERATE,
        SENSOR_CAUSES,
        SENSOR_REPAIRS,
    )
    yield _row(
        "P0730",
        ("Incorrect gear ratio", "Rapport de démultiplication incorrect"),
        (
            "The transmission is slipping: engine and wheel speeds do not match.",
            "La boîte de vitesses patine : le régime du moteur et la vitesse des roues ne correspondent pas.",
        ),
        MODERATE,
        [
            ("Low or burnt transmission fluid", "Huile de boîte de vitesses en quantité insuffisante ou brûlée"),
            ("Worn clutches inside the transmission", "Embrayages usés à l'intérieur de la boîte"),
        ],
        [TRANSMISSION_FLUID, TRANSMISSION_INSPECTED],
    )
    for gear in range(1, 7):
        label = "reverse" if gear == 6 else f"gear {gear}"
        french = "marche arrière" if gear == 6 else ("1re" if gear == 1 else f"{gear}e")
        yield _row(
            _code("P", 730 + gear),
            (f"{_capital(label)} incorrect ratio", f"Rapport de démultiplication incorrect en {french}"),
            (f"The transmission slips in {label}.", f"La boîte de vitesses patine en {french}."),
            MODERATE,
            [
                ("Low or burnt transmission fluid", "Huile de boîte de vitesses en quantité insuffisante ou brûlée"),
                ("Worn clutches or bands", "Embrayages ou bandes de freinage usés"),
            ],
            [TRANSMISSION_FLUID, TRANSMISSION_INSPECTED],
        )
    yield _row(
        "P0740",
        (
            "Torque converter clutch circuit malfunction",
            "Circuit de l'embrayage du convertisseur de couple : dysfonctionnement",
        ),
        (
            "The torque converter cannot lock up; fuel use rises.",
            "Le convertisseur de couple ne peut plus se verrouiller ; la consommation augmente.",
        ),
        MODERATE,
        [
            ("A failed lock-up solenoid", "Électrovanne de pontage défectueuse"),
            ("Damaged wiring", "Câblage endommagé"),
        ],
        [("Test the solenoid and its wiring", "Testez l'électrovanne et son câblage")],
    )
    yield _row(
        "P0741",
        (
            "Torque converter clutch circuit performance or stuck off",
            "Embrayage du convertisseur de couple : performance insuffisante ou bloqué désengagé",
        ),
        (
            "The torque converter slips when it should be locked.",
            "Le convertisseur de couple patine alors qu'il devrait être verrouillé.",
        ),
        MODERATE,
        [
            ("Worn torque converter clutch", "Embrayage du convertisseur de couple usé"),
            ("Old transmission fluid", "Huile de boîte de vitesses usée"),
        ],
        [("Change the transmission fluid", "Vidangez l'huile de boîte de vitesses")],
    )
    for number, solenoid in ((750, "A"), (755, "B"), (760, "C"), (765, "D"), (770, "E")):
        yield _row(
            _code("P", number),
            (
                f"Shift solenoid {solenoid} malfunction",
                f"Électrovanne de passage des rapports {solenoid} : dysfonctionnement",
            ),
            (
                f"Shift solenoid {solenoid} does not work; the transmission may stick in one gear.",
                f"L'électrovanne de passage des rapports {solenoid} ne fonctionne pas ; la boîte peut rester "
                "bloquée sur un seul rapport.",
            ),
            MODERATE,
            [
                ("A failed solenoid", "Électrovanne défectueuse"),
                ("Dirty transmission fluid", "Huile de boîte de vitesses sale"),
                ("Damaged wiring", "Câblage endommagé"),
            ],
            [
                ("Test the solenoid", "Testez l'électrovanne"),
                (
                    "Change the transmission fluid and filter",
                    "Vidangez l'huile de boîte de vitesses et changez le filtre",
                ),
            ],
        )


def _body_chassis_network() -> Iterator[Row]:
    airbag_causes: list[Say] = [
        (
            "A damaged clock spring in the steering wheel",
            "Contacteur tournant (ressort spiral) du volant endommagé",
        ),
        ("A loose connector under a seat", "Connecteur desserré sous un siège"),
        ("A failed airbag module or sensor", "Calculateur ou capteur d'airbag défectueux"),
    ]
    airbag_repairs: list[Say] = [
        (
            "Have the airbag system checked by a garage; do not probe airbag wiring yourself",
            "Faites contrôler le système d'airbag par un garage ; ne touchez pas vous-même au câblage des airbags",
        )
    ]
    for code, meaning in (
        ("B0001", ("Driver frontal stage 1 deployment control", "Commande de déploiement frontal conducteur, étage 1")),
        ("B0002", ("Driver frontal stage 2 deployment control", "Commande de déploiement frontal conducteur, étage 2")),
        (
            "B0010",
            ("Passenger frontal stage 1 deployment control", "Commande de déploiement frontal passager, étage 1"),
        ),
        (
            "B0011",
            ("Passenger frontal stage 2 deployment control", "Commande de déploiement frontal passager, étage 2"),
        ),
    ):
        yield _row(
            code,
            meaning,
            (
                "An airbag circuit has a fault, so that airbag may not deploy in a crash.",
                "Un circuit d'airbag présente un défaut : cet airbag pourrait ne pas se déclencher en cas de choc.",
            ),
            MODERATE,
            airbag_causes,
            airbag_repairs,
            lights=("airbag",),
        )
    for code, wheel in (
        ("C0035", ("left front", "avant gauche")),
        ("C0040", ("right front", "avant droite")),
        ("C0045", ("left rear", "arrière gauche")),
        ("C0050", ("right rear", "arrière droite")),
    ):
        yield _row(
            code,
            (f"Wheel speed sensor circuit, {wheel[0]}", f"Circuit du capteur de vitesse de roue, {wheel[1]}"),
            (
                f"The {wheel[0]} wheel speed sensor gives no usable signal: ABS and traction control are off.",
                f"Le capteur de vitesse de la roue {wheel[1]} ne donne aucun signal exploitable : l'ABS et "
                "l'antipatinage sont désactivés.",
            ),
            MODERATE,
            [
                ("A dirty or damaged sensor", "Capteur encrassé ou endommagé"),
                ("Damaged sensor wiring", "Câblage du capteur endommagé"),
                ("A worn wheel bearing", "Roulement de roue usé"),
            ],
            [
                (
                    "Clean and inspect the sensor and its wiring",
                    "Nettoyez et contrôlez le capteur et son câblage",
                ),
                ("Replace the sensor if it tests bad", "Remplacez le capteur si le test le donne défectueux"),
            ],
            lights=("abs", "traction_control"),
            sounds=("wheel_bearing",),
        )
    lost = "Perte de communication avec"
    network: tuple[tuple[str, Say, str, tuple[str, ...]], ...] = (
        (
            "U0001",
            ("High speed CAN communication bus", "Bus de communication CAN haute vitesse"),
            MODERATE,
            ("check_engine",),
        ),
        (
            "U0073",
            ("Control module communication bus A off", "Bus de communication A des calculateurs hors service"),
            MODERATE,
            ("check_engine",),
        ),
        (
            "U0100",
            ("Lost communication with ECM/PCM A", f"{lost} le calculateur moteur (ECM/PCM) A"),
            CRITICAL,
            ("check_engine",),
        ),
        (
            "U0101",
            ("Lost communication with TCM", f"{lost} le calculateur de boîte de vitesses (TCM)"),
            MODERATE,
            ("check_engine", "transmission_temp"),
        ),
        (
            "U0121",
            ("Lost communication with ABS control module", f"{lost} le calculateur d'ABS"),
            MODERATE,
            ("abs",),
        ),
        (
            "U0140",
            ("Lost communication with body control module", f"{lost} le calculateur de carrosserie (BCM)"),
            MODERATE,
            (),
        ),
        (
            "U0151",
            ("Lost communication with restraints control module", f"{lost} le calculateur d'airbags"),
            MODERATE,
            ("airbag",),
        ),
        (
            "U0155",
            ("Lost communication with instrument panel cluster", f"{lost} le combiné d'instruments"),
            MODERATE,
            (),
        ),
    )
    for code, meaning, severity, lights in network:
        yield _row(
            code,
            meaning,
            (
                "Control modules cannot talk to each other over the car's network.",
                "Les calculateurs n'arrivent plus à communiquer entre eux sur le réseau de la voiture.",
            ),
            severity,
            [
                ("A weak battery or poor ground", "Batterie faible ou mauvaise masse"),
                ("A damaged network wire or connector", "Fil ou connecteur du réseau endommagé"),
                ("A failed module", "Calculateur défectueux"),
            ],
            [
                ("Test the battery and grounds", "Testez la batterie et les masses"),
                (
                    "Have the network wiring checked by a garage",
                    "Faites contrôler le câblage du réseau par un garage",
                ),
            ],
            lights=lights,
        )


def trouble_code_rows() -> list[Row]:
    """Every seeded code, in code order, in English (``meaning``) and French (``meaning_fr``)."""
    return sorted([*_powertrain(), *_body_chassis_network()], key=lambda row: row["code"])
