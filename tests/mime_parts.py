"""Reads a delivered message with Python's own MIME parser (independent of
the lettre code that wrote it) and prints it as JSON: its headers, and each
leaf part's content type, file name and decoded bytes in base64. Used by
Consol's e-mail tests: `python3 tests/mime_parts.py MESSAGE.eml`."""

import base64
import email
import email.policy
import json
import sys

with open(sys.argv[1], "rb") as f:
    msg = email.message_from_binary_file(f, policy=email.policy.default)

parts = []
for part in msg.walk():
    if part.is_multipart():
        continue
    payload = part.get_payload(decode=True) or b""
    parts.append(
        {
            "content_type": part.get_content_type(),
            "filename": part.get_filename(),
            "disposition": part.get_content_disposition(),
            "base64": base64.b64encode(payload).decode("ascii"),
        }
    )

print(
    json.dumps(
        {
            "subject": str(msg["subject"]),
            "from": str(msg["from"]),
            "to": [str(a) for a in msg.get_all("to", [])],
            "content_type": msg.get_content_type(),
            "parts": parts,
        }
    )
)
