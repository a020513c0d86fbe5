"""The cost model (bench/cost.py) prices every part of the day issue 23 names, and the stage's fixed costs
come from the template that is deployed."""
import pytest

from bench import cost


def _steps() -> dict:
    one = cost.Step(api_requests=1, invocations=1, gb_seconds=0.02, write_units=5, index_write_units=2,
                    read_units=3)
    return {name: cost.Step(**vars(one)) for name in (
        "pages", "registration", "ticket_email", "entry_scan", "exit_scan", "dashboard_refresh", "scanner_poll",
        "bundle_sync", "scanner_setup")}


def test_the_fixed_monthly_cost_is_the_deployed_templates_alarm_metrics():
    fixed = cost.fixed_monthly_usd()
    # 11 one-metric alarms (errors and throttles of 4 functions, dead letters, API 5xx, retention) and
    # one two-metric alarm per table.
    assert fixed["alarm_metrics"] > fixed["alarms"] > 0
    assert fixed["usd"] == pytest.approx(fixed["alarm_metrics"] * 0.10)


def test_every_part_of_the_day_is_priced_and_adds_up():
    for attendees in (1_000, 100_000):
        event = cost.costs(_steps(), attendees)
        assert set(event["usd"]) == {"pages", "registration", "ticket_email", "entry_scan", "exit_scan", "dashboard",
                                     "scanner_polls", "bundle_syncs", "scanner_pages", "lambda_init",
                                     "fixed_monthly_share"}
        assert all(value >= 0 for value in event["usd"].values()) and event["usd"]["bundle_syncs"] > 0
        assert event["usd_total"] == pytest.approx(sum(event["usd"].values()), abs=1e-3)
        assert event["usd_per_1000_attendees"] == pytest.approx(event["usd_total"] / attendees * 1000, abs=1e-3)


def test_a_bigger_event_costs_more_per_bundle_sync_because_the_sync_reads_its_whole_index():
    small, big = cost.costs(_steps(), 1_000), cost.costs(_steps(), 100_000)
    syncs = {n: cost.SCANNERS[n] * cost.DOOR_HOURS[n] * 3600 / cost.SCANNER_BUNDLE_SECONDS for n in (1_000, 100_000)}
    assert big["usd"]["bundle_syncs"] / syncs[100_000] > 10 * small["usd"]["bundle_syncs"] / syncs[1_000]


def test_index_writes_count_each_global_index_of_the_table_written():
    class Call:
        service, operation = "dynamodb", "PutItem"
        params = {"TableName": "kapi-dev-registrations", "Item": {}}

    assert cost.index_write_units(Call()) == 2  # by_event and by_event_status
