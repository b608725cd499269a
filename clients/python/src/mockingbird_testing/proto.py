"""The generated protobuf modules and gRPC stubs of `proto/mockingbird/v1`, for what the layer
does not wrap: `from mockingbird_testing.proto import whatsapp_pb2`."""

from mockingbird_testing import _generated  # noqa: F401  (puts the generated `mockingbird` package on sys.path)

from mockingbird.v1 import (  # noqa: E402
    calls_pb2,
    calls_pb2_grpc,
    clock_pb2,
    clock_pb2_grpc,
    common_pb2,
    events_pb2,
    events_pb2_grpc,
    messages_pb2,
    messages_pb2_grpc,
    numbers_pb2,
    numbers_pb2_grpc,
    rules_pb2,
    rules_pb2_grpc,
    tenants_pb2,
    tenants_pb2_grpc,
    whatsapp_pb2,
    whatsapp_pb2_grpc,
)

__all__ = [
    "calls_pb2", "calls_pb2_grpc", "clock_pb2", "clock_pb2_grpc", "common_pb2", "events_pb2",
    "events_pb2_grpc", "messages_pb2", "messages_pb2_grpc", "numbers_pb2", "numbers_pb2_grpc",
    "rules_pb2", "rules_pb2_grpc", "tenants_pb2", "tenants_pb2_grpc", "whatsapp_pb2", "whatsapp_pb2_grpc",
]
