"""The SMPP 3.4 client behind the `smpp` gateway.

- `codec`: GSM 03.38 bytes, UCS-2, UDH concatenation, addresses, delivery receipt text.
- `session`: `SmppSession`, one bound transceiver connection (window, throughput,
  enquire_link, rebind with backoff, receipts and MO).
- `connector`: the long-running process that holds the session and takes batches from
  Redis (`manage.py smpp_connector`).
- `relay`: the RQ jobs that hand receipts and MO to `smsmode.sms.events`.

See docs/architecture.md, "SMPP connection model".
"""
