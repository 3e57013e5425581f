from courtyard.demands import actions
from courtyard.demands.models import DemandTally, Status


def test_a_demand_goes_from_intake_to_a_rated_close(city, personas, catalogue):
    demand = actions.submit_demand(
        by=personas.resident,
        channel="web",
        place=city.courtyard,
        category=catalogue.streetlight,
        description="胡同口路灯不亮三天了",
        requester=personas.resident,
    )
    assert demand.requester_phone == "13800138000"
    demand = actions.dispatch_demand(demand, by=personas.here)
    assert demand.assignee == catalogue.department
    demand = actions.sign_demand(demand, by=personas.handler)
    demand = actions.contact_requester(demand, by=personas.handler)
    demand = actions.reply_demand(demand, by=personas.handler, reply="已更换灯泡")
    demand = actions.evaluate_demand(
        demand, by=personas.resident, resolved=True, satisfaction="satisfied"
    )
    assert demand.status == Status.CLOSED
    unit = DemandTally.objects.get(organization=catalogue.department)
    assert (
        unit.dispatched,
        unit.responded_in_time,
        unit.evaluated,
        unit.resolved,
        unit.satisfied,
    ) == (1, 1, 1, 1, 1)
    assert (
        DemandTally.objects.filter(place__isnull=False).count() == 4
    )  # community, street, district, city


def test_water_falls_back_to_the_district(city, personas, catalogue):
    demand = actions.submit_demand(
        by=personas.here,
        channel="phone",
        place=city.community,
        category=catalogue.water,
        description="整栋楼停水",
        requester_name="王先生",
        requester_phone="13900000000",
    )
    assert actions.dispatch_demand(demand, by=personas.here).assignee == catalogue.fallback
