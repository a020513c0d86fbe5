"""The SES transport through the pipeline, against the local SES endpoint (moto, in devstack's server)."""
import email
import io
import json
import urllib.request
from email import policy

import boto3
import zxingcpp
from PIL import Image

from chalicelib.mail.pipeline import Pipeline
from chalicelib.mail.transports import SesTransport
from chalicelib.registration import registering
from devstack.dynamo_process import DynamoProcess
from tests.data import registration_body

SENDER = "Kapı Biletleri <bilet@kapi.example>"


def test_ticket_goes_out_through_ses_and_its_qr_scans(db, make_event, tmp_path):
    event = make_event()
    body = registration_body(name="Əli İşıqlı", language="az")
    registering.register(db, event["id"], body, client_key="t", rate_limit=0)
    with DynamoProcess(tmp_path) as ses_server:
        ses = boto3.client("ses", endpoint_url=ses_server.endpoint, region_name="eu-central-1")
        ses.verify_domain_identity(Domain="kapi.example")
        pipeline = Pipeline(db, SesTransport(ses), SENDER, "https://kapi.example", retry_seconds=0)
        while pipeline.run_due():
            pass
        with urllib.request.urlopen(f"{ses_server.endpoint}/_kapi/ses/messages") as response:
            sent = json.load(response)
    [raw] = [m["raw_data"] for m in sent if body["email"] in m["raw_data"]]
    message = email.message_from_bytes(raw.encode(), policy=policy.default)
    assert "Əli İşıqlı" in message.get_body(("plain",)).get_content()
    png = next(p for p in message.walk() if p.get_content_type() == "image/png")
    secret = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.get_content())))[0].text
    assert "https://kapi.example/t/" in message.get_body(("plain",)).get_content()
    assert secret not in message.get_body(("plain",)).get_content()  # the page link holds the manage secret
