"""The pytest plugin as a suite sees it, run in a pytest of its own (pytester): a fixture's
teardown learns whether its test failed, and a failed test shows the server's log about its
tenant."""

pytest_plugins = ["pytester"]

OUTCOMES = """
import pytest
from mockingbird_testing.pytest_plugin import failed

@pytest.fixture
def outcome(request):
    yield
    print(f"{request.node.name} failed={failed(request)}")

def test_passes(outcome):
    pass

def test_fails(outcome):
    assert False
"""


def test_failed_tells_a_fixtures_teardown_whether_its_test_failed(pytester):
    pytester.makepyfile(OUTCOMES)

    result = pytester.runpytest_subprocess("-rA")  # -rA: passed tests' output shown too

    result.assert_outcomes(passed=1, failed=1)
    assert "test_passes failed=False" in result.stdout.str()
    assert "test_fails failed=True" in result.stdout.str()


A_FAILING_TENANT_TEST = """
def test_a_message_is_sent_and_the_test_fails(tenant):
    tenant.numbers.add("+15550101010")
    tenant.twilio_client().messages.create(to="+15557654321", from_="+15550101010", body="hi")
    assert False
"""


def test_a_failed_test_shows_the_servers_log_about_its_tenant(pytester):
    pytester.makepyfile(A_FAILING_TENANT_TEST)

    result = pytester.runpytest_subprocess()

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*Captured stdout teardown*", "--- mockingbird log, tenant AC* ---", "*request method=POST path=/2010-04-01/Accounts/AC*/Messages.json status=201*"]
    )
