"""Local DynamoDB-compatible server (plus SES) for ``make run`` and the test suite.

It is moto served by werkzeug on 127.0.0.1: DynamoDB calls go straight to moto's
DynamoHandler (see ``_dynamodb``), everything else (SES, moto's own API) through moto's
WSGI application (``DomainDispatcherApplication(create_backend_app)``). Connections are
kept alive (dynamo_http.py). The four things moto lacks as it ships (measured in
notes/local-dynamodb.md) are added around it:

* **One global lock around every request.** moto's backends are not thread-safe:
  concurrent TransactWriteItems broke the capacity invariant in 5 of 10 rounds and
  lost acknowledged writes, and one lock around each request gave 0 violations.
  Requests are short (about 1-2 ms) and this is a development server, so serialising
  them costs little. The lock also orders the journal exactly like the writes.
* **Transactions in O(items touched)**: see dynamo_transactions.py.
* **Cheaper answers**: items are written out from their stored form (dynamo_results.py),
  queries read only their partition, of the table or of an index (dynamo_queries.py,
  dynamo_indexes.py), and the common GetItem skips
  moto's request machinery (dynamo_get.py).
* **Bounded memory.** moto appends every model instance it creates to its class's
  ``instances_tracked`` list, only for its dashboard; the server empties those lists
  after each request, as moto's own ``reset_model_data()`` does. TTL is enforced: a
  background sweep deletes expired items so they do not pile up over a day (and
  drops the empty partitions moto leaves behind, see ``sweep``).
* **Durability**: every acknowledged write is in the fsynced journal before its
  answer leaves, and the state is rebuilt on start; see dynamo_journal.py.

Because the dashboard (``/moto-api/data.json``) needs the tracked instances, sent
SES mail is read back from ``GET /_kapi/ses/messages`` instead.

Opt-in, it also fails as DynamoDB does (``--faults`` or ``KAPI_DYNAMO_FAULTS``: transaction
conflicts, throttling, 500s, index lag; see dynamo_faults.py), and it always refuses a whole
BatchWriteItem when one of its requests is bad, as DynamoDB does (moto kept the ones before it).

Run: ``python -m devstack.dynamo_server --port 0 --data-dir .kapi/dynamodb``. It
prints ``READY http://127.0.0.1:PORT`` once it accepts connections, and otherwise
logs errors only: requests are never logged, since they carry personal data.
"""

import argparse
import functools
import io
import json
import logging
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Iterable, Iterator
from typing import Any

from botocore.exceptions import ClientError
from moto.core import responses
from moto.core.model_instances import reset_model_data
from moto.core.request import Request
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.table import Table
from moto.dynamodb.responses import DynamoHandler
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from moto.ses.models import RawMessage, ses_backends
from werkzeug.datastructures import Headers
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.serving import make_server
from werkzeug.test import EnvironBuilder, run_wsgi_app

from devstack import (
    dynamo_get,
    dynamo_indexes,
    dynamo_items,
    dynamo_queries,
    dynamo_results,
    dynamo_transactions,
    lifeline,
)
from devstack.dynamo_faults import DATA_OPERATIONS, FAULTS_PATH, FaultConfig, Faults, Injected
from devstack.dynamo_http import INTERNAL_FAILURE, JSON, KeepAliveHandler
from devstack.dynamo_index_lag import IndexLag, reads_index
from devstack.dynamo_items import all_tables, stored_items
from devstack.dynamo_journal import CorruptJournal, DataDirInUse, Store
from devstack.dynamo_transactions import UndoLog

log = logging.getLogger("devstack.dynamo_server")

#: DynamoDB operations whose successful requests are journaled. PartiQL statements
#: are included because they can write; replaying a read is harmless.
MUTATING = frozenset({
    "CreateTable", "DeleteTable", "UpdateTable", "PutItem", "UpdateItem", "DeleteItem",
    "BatchWriteItem", "TransactWriteItems", "UpdateTimeToLive", "TagResource",
    "UntagResource", "UpdateContinuousBackups", "ExecuteStatement",
    "BatchExecuteStatement", "ExecuteTransaction",
})
SES_MESSAGES_PATH = "/_kapi/ses/messages"
MOTO_RESET_PATH = "/moto-api/reset"
#: Replay costs about 0.65 ms a journal line (300-700 bytes for a PutItem), so 4 MiB
#: bounds the start after a kill -9 to roughly 4-9 s; a compaction writes the whole state.
COMPACT_BYTES = 4 * 1024 * 1024
BATCH_WRITE = "DynamoDB_20120810.BatchWriteItem"
GET_ITEM = "DynamoDB_20120810.GetItem"

DYNAMODB_TARGET = "DynamoDB_20120810."


class _ServedRequest(Request):
    """moto's request type as its own server marks it (so moto adds no Date header of its own)."""

    from_wsgi_server = True


def _method_names_once() -> None:
    """moto lists a handler class's methods with inspect.getmembers on every request; the
    classes do not change once the server runs, so list each once."""
    responses.method_names_from_class = functools.cache(responses.method_names_from_class)


def request_environ(target: str, account: str, region: str, body: dict[str, Any]) -> dict[str, Any]:
    """A WSGI request for moto equal to one a client sent (journal replay, TTL sweep)."""
    return EnvironBuilder(
        method="POST", path="/", data=json.dumps(body),
        headers={
            "X-Amz-Target": target,
            "X-Moto-Account-Id": account,
            "Content-Type": JSON,
            "Authorization": f"AWS4-HMAC-SHA256 Credential=KAPILOCAL/20000101/{region}"
                             "/dynamodb/aws4_request, SignedHeaders=host, Signature=0",
        },
    ).get_environ()


class RecoveryError(Exception):
    """The data directory does not load back into the state that was acknowledged."""


class DynamoServer:
    """The WSGI application: moto behind one lock, with journaling and TTL expiry."""

    def __init__(self, data_dir: str, compact_bytes: int = COMPACT_BYTES,
                 faults: FaultConfig | None = None) -> None:
        self.lock = threading.Lock()
        self.moto = DomainDispatcherApplication(create_backend_app)
        self.store = Store(data_dir)
        self.compact_bytes = compact_bytes
        self.faults = Faults(faults)
        self.index_lag = IndexLag()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        path = environ.get("PATH_INFO")
        if path == SES_MESSAGES_PATH and environ["REQUEST_METHOD"] == "GET":
            return _json_answer(start_response, "200 OK", self.ses_messages())
        if path == FAULTS_PATH:
            return self._faults_endpoint(environ, start_response)
        operation = environ.get("HTTP_X_AMZ_TARGET", "").partition(".")[2]
        body = _read_body(environ) if self._inspects(operation) else None
        with self.lock:
            touches = dynamo_items.touches(operation, body) if isinstance(body, dict) else []
            decision = self.faults.admit(operation, touches, time.monotonic())
            if decision == 0:
                answer = self._answer(environ, operation, body, touches)
        if isinstance(decision, Injected):
            status, header_list, payload = decision.wsgi()
            start_response(status, header_list)
            return [payload]
        if decision:  # a transaction in flight: others may meet its items meanwhile
            time.sleep(decision)
            with self.lock:
                self.faults.release(touches)
                answer = self._answer(environ, operation, body, touches)
        app_iter, status, headers = answer
        start_response(status, headers.to_wsgi_list())
        return app_iter

    def _inspects(self, operation: str) -> bool:
        """Whether the server needs the request's body before moto sees it."""
        return (operation == "BatchWriteItem"
                or (operation in DATA_OPERATIONS and self.faults.config != FaultConfig()))

    def _answer(self, environ: dict[str, Any], operation: str, body: Any,
                touches: list[dynamo_items.Touch]) -> tuple[Iterable[bytes], str, Headers]:
        """moto's answer to one request, or DynamoDB's InternalFailure where moto itself breaks. Hold the lock."""
        try:
            lag = self.faults.config.index_lag_ms / 1000
            if lag and reads_index(operation, body):
                with self.index_lag.as_of(lag):
                    return self._execute(environ, body)
            images = self.index_lag.before_write(touches) if lag else []
            undo = _undo_log(touches) if operation == "BatchWriteItem" else None
            answer = self._execute(environ, body)
            if answer[1].startswith("200 "):
                self.index_lag.written(images, lag)
            elif undo is not None:  # DynamoDB writes none of a batch it refuses; moto kept the items before the bad one
                undo.restore()
            return answer
        except Exception:
            # moto lets its own bugs propagate; werkzeug would log them with their
            # message, which can quote request data. Answer like DynamoDB instead.
            log.exception("request failed")
            return ([INTERNAL_FAILURE], "500 INTERNAL SERVER ERROR",
                    Headers({"Content-Type": JSON}))

    def _faults_endpoint(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        """GET: the configuration and the faults injected so far; PUT: a new configuration (JSON)."""
        if environ["REQUEST_METHOD"] == "PUT":
            values = _read_body(environ) or {}
            try:
                if not isinstance(values, dict):
                    raise ValueError("send the fault settings as a JSON object")
                config = FaultConfig.from_dict(values)
            except (ValueError, TypeError) as error:
                return _json_answer(start_response, "400 Bad Request", {"message": str(error)})
            with self.lock:
                self.faults.configure(config)
        elif environ["REQUEST_METHOD"] != "GET":
            return _json_answer(start_response, "405 Method Not Allowed", {"message": "GET or PUT"})
        with self.lock:
            return _json_answer(start_response, "200 OK", self.faults.report())

    def _execute(self, environ: dict[str, Any], body: Any = None) -> tuple[Iterable[bytes], str, Headers]:
        """Run one request through moto and journal it if it changed data. Hold the lock.
        `body`: the request's JSON when the caller has already parsed it (fault mode), else None."""
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if target == GET_ITEM:
            served = dynamo_get.answer(environ, _read_body(environ) if body is None else body)
            if served is not None:
                payload, status, headers = served
                return payload, status, Headers(headers)
        try:
            if target.startswith(DYNAMODB_TARGET):
                (app_iter, status, headers), dispatched = _dynamodb(environ)
            else:  # SES, moto's own API: nothing to journal
                app_iter, status, headers = run_wsgi_app(self.moto, environ, buffered=True)
                dispatched = None
        finally:
            reset_model_data()
        operation = target.partition(".")[2]
        if status.startswith("200 "):
            if dispatched and operation in MUTATING:
                account, region, sent = dispatched
                request = json.loads(sent)
                self.store.append({"target": target, "account": account, "region": region, "body": request})
                dynamo_indexes.written(operation, request)
                # Only after a write: a read may run on an index's past state (dynamo_index_lag.py).
                if self.store.journal_bytes > self.compact_bytes:
                    self.compact()
            elif environ.get("PATH_INFO") == MOTO_RESET_PATH:
                self.compact()  # the journal would bring the data back
        return app_iter, status, headers

    # -- persistence -------------------------------------------------------------

    def recover(self) -> None:
        """Load the snapshot, replay the journal through moto, then compact.

        Anything that does not load stops the start instead, with the files left as
        they are: compacting a partial state would make the loss permanent.
        """
        with self.lock:
            streams: list[tuple[Table, dict[str, Any]]] = []
            meta: dict[str, Any] = {}
            items: list[dict[str, Any]] = []
            for record in self.store.read_snapshot():
                if "item" in record:
                    items.append(record["item"])
                    if len(items) == 25:
                        self._load_items(meta, items)
                    continue
                self._load_items(meta, items)
                meta = record["table"]
                backend = dynamodb_backends[meta["account"]][meta["region"]]
                # Streams are switched on after the items are in, so that loading a
                # snapshot does not emit one INSERT record per item.
                table = backend.create_table(**meta["create"], streams=None)
                table.ttl = meta["ttl"]
                if meta["streams"]:
                    streams.append((table, meta["streams"]))
            self._load_items(meta, items)
            for table, specification in streams:
                table.set_stream_specification(specification)
            for entry in self.store.read_journal():
                self._replay(entry["target"], entry["account"], entry["region"], entry["body"],
                             f"journal entry {entry['seq']}")
            self.compact()

    def _load_items(self, meta: dict[str, Any], items: list[dict[str, Any]]) -> None:
        """Put snapshot items back with BatchWriteItem, so moto parses them as it parses a client's."""
        if items:
            body = {"RequestItems": {meta["create"]["name"]: [{"PutRequest": {"Item": item}}
                                                             for item in items]}}
            self._replay(BATCH_WRITE, meta["account"], meta["region"], body, "snapshot items")
            items.clear()

    def _replay(self, target: str, account: str, region: str, body: dict[str, Any],
                what: str) -> None:
        try:
            (_, status, _), _ = _dynamodb(request_environ(target, account, region, body))
        finally:
            reset_model_data()
        if not status.startswith("200 "):
            raise RecoveryError(f"{what} in {self.store.data_dir} failed to load with HTTP "
                                f"{status}; move that directory aside to start empty")

    def compact(self) -> None:
        """Write the whole state as the new snapshot and empty the journal. Hold the lock."""
        self.store.compact(self._state_records())

    def _state_records(self) -> Iterator[dict[str, Any]]:
        """Each table, then its items in no order: loading them back does not need one (see `sweep`)."""
        for account, region, table in all_tables():
            streams = table.stream_specification
            yield {"table": {
                "account": account, "region": region, "ttl": table.ttl,
                "streams": streams if streams and streams.get("StreamEnabled") else None,
                "create": {  # the keyword arguments of moto's DynamoDBBackend.create_table
                    "name": table.name, "schema": table.schema, "attr": table.attr,
                    "billing_mode": table.billing_mode,
                    "throughput": table.throughput if table.billing_mode == "PROVISIONED" else None,
                    "global_indexes": [index.describe() for index in table.global_indexes],
                    "indexes": [index.describe() for index in table.indexes],
                    "sse_specification": table.sse_specification, "tags": table.tags,
                    "deletion_protection_enabled": table.deletion_protection_enabled,
                    "warm_throughput": table.warm_throughput,
                },
            }}
            for item in stored_items(table):
                yield {"item": item.to_json()["Attributes"]}

    def shutdown(self) -> None:
        """Compact on a clean stop. The lock is kept, so no request can slip in after."""
        self.lock.acquire()
        self.compact()
        self.store.close()

    # -- TTL ---------------------------------------------------------------------

    def start_sweeper(self, interval: float) -> None:
        def run() -> None:
            while True:
                time.sleep(interval)
                try:
                    with self.lock:
                        self.sweep(time.time())
                except Exception:
                    log.exception("sweep failed")

        threading.Thread(target=run, name="sweeper", daemon=True).start()

    def sweep(self, now: float) -> None:
        """Delete the items whose TTL attribute (epoch seconds) is before ``now``. Hold the lock.

        Deletes go through moto as BatchWriteItem requests, so they are journaled
        like any client's delete and appear in the table's stream.

        The items are read unsorted: moto's `all_items` sorts them all by key first (Python
        comparisons, 2.4 s for 100,000 claims here), and the sweep holds the lock every 30 s.

        Also drops empty partitions: moto keeps the items of a table with a sort key in
        a defaultdict, so every lookup of a missing partition key leaves an empty dict
        behind (about 370 bytes each), and a day of lookups that miss adds up.
        """
        for account, region, table in all_tables():
            if table.range_key_attr is not None:
                for hash_value in [h for h, partition in table.items.items() if not partition]:
                    del table.items[hash_value]
            if table.ttl.get("TimeToLiveStatus") != "ENABLED":
                continue
            keys = [_key(table, item) for item in stored_items(table)
                    if _expired(item.attrs.get(table.ttl["AttributeName"]), now)]
            for start in range(0, len(keys), 25):
                requests = [{"DeleteRequest": {"Key": key}} for key in keys[start:start + 25]]
                body = {"RequestItems": {table.name: requests}}
                environ = request_environ(BATCH_WRITE, account, region, body)
                _, status, _ = self._execute(environ)
                if not status.startswith("200 "):
                    log.error("TTL sweep of table %s answered HTTP %s", table.name, status)

    # -- SES ---------------------------------------------------------------------

    def ses_messages(self) -> list[dict[str, Any]]:
        """Every raw message sent through SES, in all accounts and regions (not persisted)."""
        with self.lock:
            return [
                {"account": account, "region": region, "id": message.id,
                 "source": message.source, "destinations": message.destinations,
                 "raw_data": message.raw_data}
                for account, regions in list(ses_backends.items())
                for region, backend in list(regions.items())
                for message in backend.sent_messages
                if isinstance(message, RawMessage)
            ]


def _dynamodb(environ: dict[str, Any]) -> tuple[tuple[Iterable[bytes], str, Headers], tuple[str, str, str]]:
    """A DynamoDB request straight to moto's DynamoHandler, and the account, region and body it used.

    moto's own route (DomainDispatcherApplication, which infers the service from the
    headers, then Flask, CORS and convert_to_flask_response) cost about a sixth of the
    server's time and ends in the same handler. What moto decides about the account and
    region (from several headers) is read off the handler, so the journal replays each
    request into the same place.
    """
    handler = DynamoHandler()
    handler.setup_class(_ServedRequest(environ))
    dynamo_get.remember(environ, handler.current_account, handler.region)
    dispatched = (handler.current_account, handler.region, handler.body)
    try:
        status, headers, body = handler.call_action()
    except ClientError as error:  # as moto's route answers it (convert_to_flask_response)
        status, headers, body = 400, {}, error.response["Error"]["Message"]
    headers = Headers(headers)
    headers.setdefault("Content-Type", JSON)
    payload = body.encode() if isinstance(body, str) else body
    status = int(status)
    return ([payload], f"{status} {HTTP_STATUS_CODES.get(status, 'UNKNOWN').upper()}", headers), dispatched


def _read_body(environ: dict[str, Any]) -> Any:
    """The request's JSON body (None if it is not JSON), left in place for moto to read again."""
    raw = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    environ["wsgi.input"] = io.BytesIO(raw)
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None


def _undo_log(touches: list[dynamo_items.Touch]) -> UndoLog:
    undo = UndoLog()
    for touch in touches:
        table = dynamo_items.find_table(touch.table)
        hash_value, range_value = dynamo_items.key_values(table, touch.key)
        undo.remember(table, hash_value, range_value, dynamo_items.current_item(table, hash_value, range_value))
    return undo


def _json_answer(start_response: Any, status: str, value: Any) -> list[bytes]:
    body = json.dumps(value).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def _key(table: Table, item: Any) -> dict[str, Any]:
    key = {table.hash_key_attr: item.hash_key.to_json()}
    if table.range_key_attr is not None:
        key[table.range_key_attr] = item.range_key.to_json()
    return key


def _expired(value: Any, now: float) -> bool:
    if value is None or value.type != "N":
        return False
    try:
        return float(value.value) < now
    except ValueError:
        return False


class _RedactingFormatter(logging.Formatter):
    """Tracebacks keep their frames but not the exception's message, which can quote data."""

    def formatException(self, exc_info: Any) -> str:
        kind, _, tb = exc_info
        return "".join(traceback.format_tb(tb)) + kind.__name__


def _configure_logging() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_RedactingFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    logging.basicConfig(level=logging.ERROR, handlers=[handler], force=True)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no request lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--ttl-sweep-seconds", type=float, default=30.0,
                        help="how often expired items (and empty partitions) are swept away")
    parser.add_argument("--compact-bytes", type=int, default=COMPACT_BYTES,
                        help="compact when the journal grows past this size")
    lifeline.add_option(parser)
    parser.add_argument("--faults", default=os.environ.get("KAPI_DYNAMO_FAULTS", ""),
                        help="fault mode, e.g. conflicts=0.1,throttles=0.05,errors=0.01,index_lag_ms=200 "
                             "(default: $KAPI_DYNAMO_FAULTS; see devstack/dynamo_faults.py)")
    args = parser.parse_args(argv)
    try:
        faults = FaultConfig.parse(args.faults)
    except ValueError as error:
        parser.error(str(error))

    _configure_logging()
    dynamo_transactions.install()
    dynamo_results.install()
    dynamo_queries.install()
    _method_names_once()
    try:
        app = DynamoServer(args.data_dir, compact_bytes=args.compact_bytes, faults=faults)
        app.recover()
    except (DataDirInUse, CorruptJournal, RecoveryError) as error:
        log.error("cannot start: %s", error)
        sys.exit(1)
    server = make_server("127.0.0.1", args.port, app, threaded=True, request_handler=KeepAliveHandler)

    def stop(signum: int, frame: Any) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    app.start_sweeper(args.ttl_sweep_seconds)
    if args.stop_with_parent:
        lifeline.watch_parent(server.shutdown)  # serve_forever returns; the data is compacted below
    print(f"READY http://127.0.0.1:{server.server_port}", flush=True)
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # nobody reads stdout after READY
    try:
        server.serve_forever()
    except SystemExit:
        pass
    finally:
        server.server_close()
        app.shutdown()


if __name__ == "__main__":
    main()
