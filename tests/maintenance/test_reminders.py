"""The reminder job: who is reminded when, on their own calendar, exactly once."""

from __future__ import annotations

import io
import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connections
from django_q.models import Schedule
from model_bakery import baker

from accounts.models import User, UserProfile, Vehicle
from maintenance.models import MaintenanceRecord, Notification
from maintenance.services import ReminderRun, reminders_send
from maintenance.tasks import send_reminders
from tests.conftest import make_user
from tests.maintenance.conftest import make_record, today_for

pytestmark = pytest.mark.django_db

# A fixed clock for the time-zone cases: 12:00 UTC is already the next day in Kiritimati (UTC+14).
NOON_UTC = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def set_profile(user: User, **fields: object) -> User:
    UserProfile.objects.filter(user=user).update(**fields)
    return User.objects.get(pk=user.pk)


def test_a_record_due_within_the_lead_time_gets_one_notification_and_one_email(
    driver: User, vehicle: Vehicle, mailoutbox: list[mail.EmailMessage]
) -> None:
    record = make_record(driver, vehicle=vehicle, days_from_today=3, title="Oil change")

    run = send_reminders()

    assert run == {"due": 1, "overdue": 0}
    notification = Notification.objects.get()
    assert (notification.user, notification.kind, notification.maintenance_record) == (
        driver,
        "maintenance_due",
        record,
    )
    assert notification.title == "Oil change due in 3 days"
    assert "for Corolla" in notification.body
    assert [message.to for message in mailoutbox] == [[driver.email]]
    assert mailoutbox[0].subject == "Oil change due in 3 days"
    record.refresh_from_db()
    assert record.reminder_status == "sent"
    assert record.reminder_sent_at is not None


def test_a_record_beyond_the_lead_time_is_left_alone(driver: User, mailoutbox: list[mail.EmailMessage]) -> None:
    record = make_record(driver, days_from_today=4)

    assert reminders_send() == ReminderRun(due=0, overdue=0)

    assert not Notification.objects.exists()
    assert mailoutbox == []
    record.refresh_from_db()
    assert (record.reminder_status, record.reminder_sent_at) == ("pending", None)


def test_the_lead_time_is_the_drivers_preference(driver: User, mailoutbox: list[mail.EmailMessage]) -> None:
    driver = set_profile(driver, reminder_lead_days=7)
    make_record(driver, days_from_today=7)
    make_record(driver, days_from_today=8)

    assert reminders_send() == ReminderRun(due=1, overdue=0)
    assert len(mailoutbox) == 1


def test_a_reminder_is_sent_once_however_often_the_job_runs(driver: User, mailoutbox: list[mail.EmailMessage]) -> None:
    make_record(driver, days_from_today=1)

    runs = [reminders_send() for _ in range(3)]

    assert runs == [ReminderRun(due=1), ReminderRun(), ReminderRun()]
    assert Notification.objects.count() == 1
    assert len(mailoutbox) == 1


def test_an_overdue_record_gets_one_overdue_notification(driver: User, mailoutbox: list[mail.EmailMessage]) -> None:
    record = make_record(driver, days_from_today=-1, reminder_status="sent")

    assert [reminders_send(), reminders_send()] == [ReminderRun(overdue=1), ReminderRun()]

    notification = Notification.objects.get()
    assert (notification.kind, notification.title) == ("maintenance_overdue", "Oil change is overdue")
    assert len(mailoutbox) == 1
    record.refresh_from_db()
    assert record.overdue_notified_at is not None


def test_an_item_that_went_overdue_unreminded_gets_only_the_overdue_notice(driver: User) -> None:
    record = make_record(driver, days_from_today=-3)

    assert reminders_send() == ReminderRun(overdue=1)

    assert list(Notification.objects.values_list("kind", flat=True)) == ["maintenance_overdue"]
    record.refresh_from_db()
    assert record.reminder_status == "sent"
    assert record.reminder_sent_at == record.overdue_notified_at


def test_completed_records_and_suspended_accounts_are_not_reminded(
    driver: User, mailoutbox: list[mail.EmailMessage]
) -> None:
    make_record(driver, days_from_today=-1, completed_date=today_for(driver) - timedelta(days=1))
    suspended = make_user("suspended@example.com", status=User.Status.SUSPENDED)
    make_record(suspended, days_from_today=1)
    make_record(suspended, days_from_today=-1)

    assert reminders_send() == ReminderRun()
    assert mailoutbox == []


def test_a_driver_without_a_profile_gets_the_default_lead_time_in_utc() -> None:
    user = baker.make(User, email="no.profile@example.com")
    make_record(user, scheduled_date=NOON_UTC.date() + timedelta(days=3))
    make_record(user, scheduled_date=NOON_UTC.date() + timedelta(days=4))

    assert reminders_send(now=NOON_UTC) == ReminderRun(due=1)


def test_reminders_follow_each_drivers_time_zone(driver: User, other_driver: User) -> None:
    # At noon UTC on 10 March it is already 11 March in Kiritimati: a job on the 14th is 3 days away there.
    ahead = set_profile(driver, timezone="Pacific/Kiritimati")
    utc = set_profile(other_driver, timezone="UTC")
    theirs = make_record(ahead, scheduled_date=date(2026, 3, 14))
    make_record(utc, scheduled_date=date(2026, 3, 14))

    assert reminders_send(now=NOON_UTC) == ReminderRun(due=1)

    assert Notification.objects.get().maintenance_record == theirs


def test_overdue_waits_for_the_drivers_own_midnight(driver: User, other_driver: User) -> None:
    # At 05:00 UTC on 10 March it is still the 9th in Niue (UTC-11), where a job on the 9th is due today.
    early = datetime(2026, 3, 10, 5, 0, tzinfo=UTC)
    behind = set_profile(driver, timezone="Pacific/Niue")
    make_record(behind, scheduled_date=date(2026, 3, 9))
    make_record(other_driver, scheduled_date=date(2026, 3, 9))

    assert reminders_send(now=early) == ReminderRun(due=1, overdue=1)

    kinds = dict(Notification.objects.values_list("user__email", "kind"))
    assert kinds == {behind.email: "maintenance_due", other_driver.email: "maintenance_overdue"}
    assert Notification.objects.get(user=behind).title == "Oil change due today"


def test_reaching_the_due_reading_makes_a_job_due_before_its_date(driver: User, vehicle: Vehicle) -> None:
    record = make_record(driver, vehicle=vehicle, days_from_today=90, due_odometer_km=50_000)
    make_record(driver, vehicle=vehicle, days_from_today=90, due_odometer_km=50_001, title="Tyres")

    assert reminders_send() == ReminderRun(due=1)

    notification = Notification.objects.get()
    assert notification.maintenance_record == record
    assert notification.title == "Oil change due: 50,000 km reached"


def test_a_mail_outage_does_not_stop_the_other_reminders(driver: User, other_driver: User, settings: object) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"  # type: ignore[attr-defined]
    # Nothing listens on the discard port, so every delivery fails at once.
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2  # type: ignore[attr-defined]
    make_record(driver, days_from_today=1)
    make_record(other_driver, days_from_today=2)

    assert reminders_send() == ReminderRun(due=2)

    assert Notification.objects.count() == 2
    assert not MaintenanceRecord.objects.filter(reminder_status="pending").exists()


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_each_reminder_exactly_once(mailoutbox: list[mail.EmailMessage]) -> None:
    # Committed rows and one connection per thread, as two django-q2 workers would have.
    drivers = [make_user(f"driver{index}@example.com") for index in range(4)]
    records = [make_record(user, days_from_today=days) for user in drivers for days in (-1, 0, 1, 2, 3)]
    start = threading.Barrier(2)
    runs: list[ReminderRun] = []
    failures: list[BaseException] = []

    def worker() -> None:
        try:
            start.wait(timeout=10)
            runs.append(reminders_send())
        except BaseException as exc:  # reported to the main thread below
            failures.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert failures == []
    assert len(runs) == 2
    assert sum(run.due for run in runs) == 16
    assert sum(run.overdue for run in runs) == 4
    assert Notification.objects.count() == len(records)
    assert sorted(message.to[0] for message in mailoutbox) == sorted(
        Notification.objects.values_list("user__email", flat=True)
    )


def test_setup_schedules_creates_the_reminder_schedule_once() -> None:
    first = io.StringIO()
    call_command("setup_schedules", stdout=first)
    assert "Created schedule maintenance-reminders" in first.getvalue()
    schedule = Schedule.objects.get(name="maintenance-reminders")
    Schedule.objects.filter(pk=schedule.pk).update(minutes=60)
    Schedule.objects.create(name="maintenance-reminders", func="maintenance.tasks.send_reminders")

    second = io.StringIO()
    call_command("setup_schedules", stdout=second)

    assert "maintenance-reminders updated (minutes)" in second.getvalue()
    schedule = Schedule.objects.get(name="maintenance-reminders")
    assert (schedule.func, schedule.schedule_type, schedule.minutes, schedule.repeats) == (
        "maintenance.tasks.send_reminders",
        Schedule.MINUTES,
        15,
        -1,
    )


def test_a_title_with_a_line_break_still_gets_its_email(driver: User, mailoutbox: list[mail.EmailMessage]) -> None:
    make_record(driver, days_from_today=1, title="Oil change\nand filter")

    assert reminders_send() == ReminderRun(due=1)

    assert [message.subject for message in mailoutbox] == ["Oil change and filter due tomorrow"]
