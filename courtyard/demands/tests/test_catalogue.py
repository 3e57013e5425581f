"""The default service catalogue and `courtyard load_catalogue`."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from courtyard.demands.catalogue import CATALOGUE, CATALOGUE_BY_CODE, load_catalogue
from courtyard.demands.models import FeedbackClass, ServiceCategory

pytestmark = pytest.mark.django_db
DATATYPES = {"string", "number", "singlevaluelist", "multivaluelist", "text", "datetime"}


def test_the_catalogue_is_seven_groups_of_about_twenty_categories():
    groups = [spec for spec in CATALOGUE if not spec.parent]
    leaves = [spec for spec in CATALOGUE if spec.parent]
    assert [g.name for g in groups] == [
        "市政设施",
        "供水供电供气供热",
        "环境卫生",
        "物业管理",
        "房屋安全",
        "社区服务与咨询",
        "紧急事项",
    ]
    assert len(leaves) == 22
    assert len(CATALOGUE_BY_CODE) == len(CATALOGUE)  # codes are unique
    seen: set[str] = set()
    for spec in CATALOGUE:  # parents come first
        assert not spec.parent or spec.parent in seen, spec.service_code
        seen.add(spec.service_code)
        assert spec.name and spec.name_en
        assert len(spec.service_code) <= 32 and spec.service_code.isascii()
        assert spec.feedback_class in FeedbackClass.values
        assert spec.parent or not spec.keywords  # groups are not searched for
        assert not spec.parent or spec.keywords


def test_feedback_classes_follow_the_hotline_standard():
    classes = {spec.service_code: spec.feedback_class for spec in CATALOGUE}
    for code in ("water-outage", "power-outage", "gas-supply", "heating"):
        assert classes[code] == FeedbackClass.UTILITIES
    assert classes["gas-leak"] == classes["burst-pipe"] == FeedbackClass.EMERGENCY
    assert classes["lift-retrofit"] == classes["old-compound-renovation"] == FeedbackClass.COMPLEX
    assert classes["streetlight"] == classes["noise"] == FeedbackClass.GENERAL


def test_extra_questions_are_in_the_attributes_format():
    asking = [spec for spec in CATALOGUE if spec.attributes]
    assert {spec.service_code for spec in asking} >= {"water-outage", "heating", "noise"}
    for spec in asking:
        codes = [q["code"] for q in spec.attributes]
        assert len(codes) == len(set(codes))
        for question in spec.attributes:
            assert question["datatype"] in DATATYPES
            assert isinstance(question["required"], bool)
            assert question["description"] and question["description_en"]
            if question["datatype"] == "singlevaluelist":
                assert question["values"]
                assert all(v["key"] and v["name"] and v["name_en"] for v in question["values"])


def test_loading_twice_creates_each_category_once():
    first = load_catalogue()
    assert (first.created, first.updated, first.unchanged) == (len(CATALOGUE), 0, 0)
    again = load_catalogue()
    assert (again.created, again.updated, again.unchanged) == (0, 0, len(CATALOGUE))
    assert ServiceCategory.objects.count() == len(CATALOGUE)
    heating = ServiceCategory.objects.get(service_code="heating")
    assert heating.parent is not None and heating.parent.service_code == "utilities"
    assert (heating.name, heating.name_en, heating.feedback_class) == (
        "供暖不热",
        "Heating not warm enough",
        "utilities",
    )
    assert heating.attributes[0]["code"] == "temperature"


def test_an_edited_category_is_kept_unless_update_is_asked():
    load_catalogue()
    ServiceCategory.objects.filter(service_code="noise").update(
        name="夜间施工噪音", feedback_class=FeedbackClass.COMPLEX, parent=None
    )
    ServiceCategory.objects.create(service_code="local-only", name="本地分类")
    assert load_catalogue().created == 0
    assert ServiceCategory.objects.get(service_code="noise").name == "夜间施工噪音"
    result = load_catalogue(update=True)
    assert (result.created, result.updated) == (0, 1)
    noise = ServiceCategory.objects.get(service_code="noise")
    assert (noise.name, noise.feedback_class, noise.parent.service_code) == (
        "噪音扰民",
        "general",
        "sanitation",
    )
    assert ServiceCategory.objects.filter(service_code="local-only").exists()  # never deleted


def test_the_command_reports_what_it_did():
    out = StringIO()
    call_command("load_catalogue", stdout=out)
    assert out.getvalue().strip() == (
        f"Service catalogue: {len(CATALOGUE)} created, 0 updated, 0 unchanged."
    )
    out = StringIO()
    call_command("load_catalogue", "--update", stdout=out)
    assert f"0 created, 0 updated, {len(CATALOGUE)} unchanged." in out.getvalue()
