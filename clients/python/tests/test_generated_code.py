"""The generated code is current with proto/, and the staleness check catches a forgotten
regeneration; the rules builder writes the rules the protos describe."""

import importlib.util
import shutil
from pathlib import Path

from mockingbird_testing import rules
from mockingbird_testing.proto import common_pb2, rules_pb2

CLIENT = Path(__file__).resolve().parents[1]
REPO = CLIENT.parents[1]


def load_generate():
    """clients/python/generate.py, the one command that regenerates (and checks)."""
    spec = importlib.util.spec_from_file_location("generate", CLIENT / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_checked_in_generated_code_is_current_with_proto():
    generate = load_generate()
    assert generate.stale_files() == [], generate.staleness_report(generate.stale_files())


def test_the_staleness_check_names_the_file_a_proto_change_left_stale(tmp_path):
    # A field added to a proto, and the regeneration forgotten.
    protos = tmp_path / "proto"
    shutil.copytree(REPO / "proto", protos)
    tenants = protos / "mockingbird" / "v1" / "tenants.proto"
    source = tenants.read_text()
    assert "message CreateTenantRequest {\n" in source
    tenants.write_text(source.replace("message CreateTenantRequest {\n", "message CreateTenantRequest {\n  string team = 99;\n"))
    generate = load_generate()

    stale = generate.stale_files(protos)

    assert stale == ["mockingbird/v1/tenants_pb2.py", "mockingbird/v1/tenants_pb2.pyi"]
    report = generate.staleness_report(stale)
    assert (
        "clients/python/src/mockingbird_testing/_generated/mockingbird/v1/tenants_pb2.py is stale against proto/: "
        "run `python clients/python/generate.py` and commit the result." in report
    )


def test_the_rules_builder_reads_like_the_behaviour():
    rule = rules.to("+15557654321").sent(after=1).undelivered(30007).build()

    assert rule.when.to.exact == "+15557654321"
    steps = [(s.status, s.delay.seconds, s.error_code) for s in rule.accept.steps]
    assert steps == [(common_pb2.MESSAGE_STATUS_SENT, 1, 0), (common_pb2.MESSAGE_STATUS_UNDELIVERED, 0, 30007)]

    busy = rules.calls().to_prefix("+1555").busy(ring=3).build()
    assert (busy.when.channel, busy.when.to.prefix, busy.call.result, busy.call.ring.seconds) == (
        "voice", "+1555", rules_pb2.CallBehavior.RESULT_BUSY, 3,
    )

    disorderly = rules.any_message().first(2).delivered(after=2).delay_callback("sent", by=10).build()
    assert disorderly.first_n == 2
    assert disorderly.callbacks.delay[0].status == common_pb2.MESSAGE_STATUS_SENT


def test_the_readme_test_is_the_suites_first_test():
    readme = (CLIENT / "README.md").read_text()
    example = readme.split("```python\n", 1)[1].split("```", 1)[0]
    suite = (CLIENT / "tests" / "test_sms.py").read_text()
    for line in example.splitlines():
        assert line in suite.splitlines(), f"README line not in tests/test_sms.py: {line!r}"
    assert example[example.index("def test_"):] in suite
