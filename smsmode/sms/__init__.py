"""The pure SMS domain: encoding and segments, phone numbers, sender IDs, the STOP
mention, marketing send windows, and the gateways. No views, no models of its own."""
