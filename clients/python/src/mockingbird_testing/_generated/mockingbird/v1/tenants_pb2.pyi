import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CreateTenantRequest(_message.Message):
    __slots__ = ("label",)
    LABEL_FIELD_NUMBER: _ClassVar[int]
    label: str
    def __init__(self, label: _Optional[str] = ...) -> None: ...

class GetTenantRequest(_message.Message):
    __slots__ = ("account_sid",)
    ACCOUNT_SID_FIELD_NUMBER: _ClassVar[int]
    account_sid: str
    def __init__(self, account_sid: _Optional[str] = ...) -> None: ...

class ListTenantsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListTenantsResponse(_message.Message):
    __slots__ = ("tenants",)
    TENANTS_FIELD_NUMBER: _ClassVar[int]
    tenants: _containers.RepeatedCompositeFieldContainer[Tenant]
    def __init__(self, tenants: _Optional[_Iterable[_Union[Tenant, _Mapping]]] = ...) -> None: ...

class ResetTenantRequest(_message.Message):
    __slots__ = ("account_sid",)
    ACCOUNT_SID_FIELD_NUMBER: _ClassVar[int]
    account_sid: str
    def __init__(self, account_sid: _Optional[str] = ...) -> None: ...

class ResetTenantResponse(_message.Message):
    __slots__ = ("tenant", "sequence")
    TENANT_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    tenant: Tenant
    sequence: int
    def __init__(self, tenant: _Optional[_Union[Tenant, _Mapping]] = ..., sequence: _Optional[int] = ...) -> None: ...

class DeleteTenantRequest(_message.Message):
    __slots__ = ("account_sid",)
    ACCOUNT_SID_FIELD_NUMBER: _ClassVar[int]
    account_sid: str
    def __init__(self, account_sid: _Optional[str] = ...) -> None: ...

class DeleteTenantResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class Tenant(_message.Message):
    __slots__ = ("account_sid", "auth_token", "api_key_sid", "api_key_secret", "label", "whatsapp", "created_at")
    ACCOUNT_SID_FIELD_NUMBER: _ClassVar[int]
    AUTH_TOKEN_FIELD_NUMBER: _ClassVar[int]
    API_KEY_SID_FIELD_NUMBER: _ClassVar[int]
    API_KEY_SECRET_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    WHATSAPP_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    account_sid: str
    auth_token: str
    api_key_sid: str
    api_key_secret: str
    label: str
    whatsapp: WhatsAppIdentity
    created_at: _timestamp_pb2.Timestamp
    def __init__(self, account_sid: _Optional[str] = ..., auth_token: _Optional[str] = ..., api_key_sid: _Optional[str] = ..., api_key_secret: _Optional[str] = ..., label: _Optional[str] = ..., whatsapp: _Optional[_Union[WhatsAppIdentity, _Mapping]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class WhatsAppIdentity(_message.Message):
    __slots__ = ("phone_number_id", "business_account_id", "access_token", "app_secret", "verify_token", "display_phone_number")
    PHONE_NUMBER_ID_FIELD_NUMBER: _ClassVar[int]
    BUSINESS_ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    ACCESS_TOKEN_FIELD_NUMBER: _ClassVar[int]
    APP_SECRET_FIELD_NUMBER: _ClassVar[int]
    VERIFY_TOKEN_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_PHONE_NUMBER_FIELD_NUMBER: _ClassVar[int]
    phone_number_id: str
    business_account_id: str
    access_token: str
    app_secret: str
    verify_token: str
    display_phone_number: str
    def __init__(self, phone_number_id: _Optional[str] = ..., business_account_id: _Optional[str] = ..., access_token: _Optional[str] = ..., app_secret: _Optional[str] = ..., verify_token: _Optional[str] = ..., display_phone_number: _Optional[str] = ...) -> None: ...
