"""Open311 GeoReport v2 at /open311/v2/ (https://wiki.open311.org/GeoReport_v2).

One jurisdiction: `jurisdiction_id` is accepted everywhere and ignored. Both formats, `.json`
and `.xml`, for every resource: discovery, services, services/{service_code}, requests (GET
and POST), requests/{id}, tokens/{token}.

Decisions (where the standard leaves a choice):
- Reads are public and show public fields only. No personal data of a requester ever
  appears: no name, phone, account, and `description` is the demand's `public_summary`
  ("category · place"), never the raw text, which may name people or give a phone number.
  `status_notes` is the unit's reply once there is one (or, for a duplicate, the request
  it was merged into). The two free texts shown, the reply and `address`, have the
  requester's name and phone and any mobile number masked (***), since a unit may quote
  them. Every demand is listed, merged ones included (status closed).
- `status`: open while the demand is submitted, accepted, dispatched, signed for, in hand
  or replied (waiting for the requester's rating); closed otherwise.
- `updated_datetime` is the latest of the step stamps (submitted, accepted, dispatched,
  signed, contacted, replied, evaluated, closed); `expected_datetime` the reply deadline.
- GET requests: newest first (by id), at most 1,000; without `service_request_id` the
  window is `start_date`–`end_date` on `requested_datetime`, 90 days at most, by default
  the last 90 days (with one end given, the 90 days next to it).
- POST requests: `api_key` (missing: 400; unknown or revoked: 403). The place is found by
  `address_id`, a place code from the place tree: it is required, since demands are routed
  by place and the tree holds no geometry to place a point or an address in (`lat`/`long`
  and `address_string` are stored with the demand as given; a point outside the place's
  map box, or its nearest ancestor's, is a 400). No media: photos come only through the
  web forms. Contact fields: first and last
  name become the requester's name and `phone` the phone (visible only to those who handle
  the demand); `email`, `device_id` and `account_id` are accepted and not stored. The
  client's `Idempotency-Key` header, when sent, makes a retry return the first request.
- Requests are created at once, so a token is the request's id: tokens/{id} answers with
  that id (POST answers with `service_request_id` directly).
- Errors: [{"code": …, "description": …}] / <errors><error>…; 400 for a missing or bad
  parameter, 403 for a bad key, 404 for an unknown service_code (in the path or as a
  parameter), request id or token, 405 for a method the resource does not take.
"""
