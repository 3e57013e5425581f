def test_city_fixture_builds_paths(city):
    assert city.community.path.startswith(city.street.path)
    assert city.courtyard.is_within(city.district)
    assert not city.far_community.is_within(city.district)
