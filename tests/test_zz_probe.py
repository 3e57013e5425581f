import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from courtyard.organizations.models import CommitteeMembership

def test_probe(city, personas, client_for):
    m = CommitteeMembership.objects.get()
    c = client_for(personas.above)
    for url in [f"/history/organizations.committeemembership/{m.pk}/", f"/history/places.place/{city.community.pk}/",
                f"/history/organizations.committee/{city.committee.pk}/", "/api/v1/", "/api/v1/docs",
                f"/organizations/communities/{city.community.pk}/dual-reports/", "/accounts/logout/"]:
        try:
            with CaptureQueriesContext(connection) as ctx:
                r = c.get(url)
            print(url, r.status_code, len(ctx.captured_queries), r.get("Location"))
        except Exception as e:
            print(url, "EXC", repr(e))
    r = c.get("/api/v1/docs")
    print(r.content.decode()[:3000])
