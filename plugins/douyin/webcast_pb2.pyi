from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class PushFrame(_message.Message):
    __slots__ = ("seqId", "logId", "service", "method", "headers", "payloadEncoding", "payloadType", "payload")
    SEQID_FIELD_NUMBER: _ClassVar[int]
    LOGID_FIELD_NUMBER: _ClassVar[int]
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    PAYLOADENCODING_FIELD_NUMBER: _ClassVar[int]
    PAYLOADTYPE_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    seqId: int
    logId: int
    service: int
    method: int
    headers: _containers.RepeatedCompositeFieldContainer[Header]
    payloadEncoding: str
    payloadType: str
    payload: bytes
    def __init__(self, seqId: _Optional[int] = ..., logId: _Optional[int] = ..., service: _Optional[int] = ..., method: _Optional[int] = ..., headers: _Optional[_Iterable[_Union[Header, _Mapping]]] = ..., payloadEncoding: _Optional[str] = ..., payloadType: _Optional[str] = ..., payload: _Optional[bytes] = ...) -> None: ...

class Header(_message.Message):
    __slots__ = ("key", "value")
    KEY_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    key: str
    value: str
    def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...

class Response(_message.Message):
    __slots__ = ("messages", "cursor", "fetchInterval", "now", "internalExt", "fetchType", "heartbeatDuration", "needAck")
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    FETCHINTERVAL_FIELD_NUMBER: _ClassVar[int]
    NOW_FIELD_NUMBER: _ClassVar[int]
    INTERNALEXT_FIELD_NUMBER: _ClassVar[int]
    FETCHTYPE_FIELD_NUMBER: _ClassVar[int]
    HEARTBEATDURATION_FIELD_NUMBER: _ClassVar[int]
    NEEDACK_FIELD_NUMBER: _ClassVar[int]
    messages: _containers.RepeatedCompositeFieldContainer[Message]
    cursor: str
    fetchInterval: int
    now: int
    internalExt: str
    fetchType: int
    heartbeatDuration: int
    needAck: bool
    def __init__(self, messages: _Optional[_Iterable[_Union[Message, _Mapping]]] = ..., cursor: _Optional[str] = ..., fetchInterval: _Optional[int] = ..., now: _Optional[int] = ..., internalExt: _Optional[str] = ..., fetchType: _Optional[int] = ..., heartbeatDuration: _Optional[int] = ..., needAck: _Optional[bool] = ...) -> None: ...

class Message(_message.Message):
    __slots__ = ("method", "payload", "msgId")
    METHOD_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    MSGID_FIELD_NUMBER: _ClassVar[int]
    method: str
    payload: bytes
    msgId: int
    def __init__(self, method: _Optional[str] = ..., payload: _Optional[bytes] = ..., msgId: _Optional[int] = ...) -> None: ...

class Common(_message.Message):
    __slots__ = ("method", "msgId", "roomId", "createTime")
    METHOD_FIELD_NUMBER: _ClassVar[int]
    MSGID_FIELD_NUMBER: _ClassVar[int]
    ROOMID_FIELD_NUMBER: _ClassVar[int]
    CREATETIME_FIELD_NUMBER: _ClassVar[int]
    method: str
    msgId: int
    roomId: int
    createTime: int
    def __init__(self, method: _Optional[str] = ..., msgId: _Optional[int] = ..., roomId: _Optional[int] = ..., createTime: _Optional[int] = ...) -> None: ...

class User(_message.Message):
    __slots__ = ("id", "nickName", "displayId", "idStr")
    ID_FIELD_NUMBER: _ClassVar[int]
    NICKNAME_FIELD_NUMBER: _ClassVar[int]
    DISPLAYID_FIELD_NUMBER: _ClassVar[int]
    IDSTR_FIELD_NUMBER: _ClassVar[int]
    id: int
    nickName: str
    displayId: str
    idStr: str
    def __init__(self, id: _Optional[int] = ..., nickName: _Optional[str] = ..., displayId: _Optional[str] = ..., idStr: _Optional[str] = ...) -> None: ...

class ChatMessage(_message.Message):
    __slots__ = ("common", "user", "content")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    common: Common
    user: User
    content: str
    def __init__(self, common: _Optional[_Union[Common, _Mapping]] = ..., user: _Optional[_Union[User, _Mapping]] = ..., content: _Optional[str] = ...) -> None: ...

class GiftStruct(_message.Message):
    __slots__ = ("describe", "id", "combo", "diamondCount", "name")
    DESCRIBE_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    COMBO_FIELD_NUMBER: _ClassVar[int]
    DIAMONDCOUNT_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    describe: str
    id: int
    combo: bool
    diamondCount: int
    name: str
    def __init__(self, describe: _Optional[str] = ..., id: _Optional[int] = ..., combo: _Optional[bool] = ..., diamondCount: _Optional[int] = ..., name: _Optional[str] = ...) -> None: ...

class GiftMessage(_message.Message):
    __slots__ = ("common", "giftId", "groupCount", "repeatCount", "comboCount", "user", "repeatEnd", "groupId", "gift", "totalCount")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    GIFTID_FIELD_NUMBER: _ClassVar[int]
    GROUPCOUNT_FIELD_NUMBER: _ClassVar[int]
    REPEATCOUNT_FIELD_NUMBER: _ClassVar[int]
    COMBOCOUNT_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    REPEATEND_FIELD_NUMBER: _ClassVar[int]
    GROUPID_FIELD_NUMBER: _ClassVar[int]
    GIFT_FIELD_NUMBER: _ClassVar[int]
    TOTALCOUNT_FIELD_NUMBER: _ClassVar[int]
    common: Common
    giftId: int
    groupCount: int
    repeatCount: int
    comboCount: int
    user: User
    repeatEnd: int
    groupId: int
    gift: GiftStruct
    totalCount: int
    def __init__(self, common: _Optional[_Union[Common, _Mapping]] = ..., giftId: _Optional[int] = ..., groupCount: _Optional[int] = ..., repeatCount: _Optional[int] = ..., comboCount: _Optional[int] = ..., user: _Optional[_Union[User, _Mapping]] = ..., repeatEnd: _Optional[int] = ..., groupId: _Optional[int] = ..., gift: _Optional[_Union[GiftStruct, _Mapping]] = ..., totalCount: _Optional[int] = ...) -> None: ...

class LikeMessage(_message.Message):
    __slots__ = ("common", "count", "total", "user")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    common: Common
    count: int
    total: int
    user: User
    def __init__(self, common: _Optional[_Union[Common, _Mapping]] = ..., count: _Optional[int] = ..., total: _Optional[int] = ..., user: _Optional[_Union[User, _Mapping]] = ...) -> None: ...

class MemberMessage(_message.Message):
    __slots__ = ("common", "user", "memberCount", "action")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    MEMBERCOUNT_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    common: Common
    user: User
    memberCount: int
    action: int
    def __init__(self, common: _Optional[_Union[Common, _Mapping]] = ..., user: _Optional[_Union[User, _Mapping]] = ..., memberCount: _Optional[int] = ..., action: _Optional[int] = ...) -> None: ...

class SocialMessage(_message.Message):
    __slots__ = ("common", "user", "shareType", "action", "shareTarget", "followCount")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    SHARETYPE_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    SHARETARGET_FIELD_NUMBER: _ClassVar[int]
    FOLLOWCOUNT_FIELD_NUMBER: _ClassVar[int]
    common: Common
    user: User
    shareType: int
    action: int
    shareTarget: str
    followCount: int
    def __init__(self, common: _Optional[_Union[Common, _Mapping]] = ..., user: _Optional[_Union[User, _Mapping]] = ..., shareType: _Optional[int] = ..., action: _Optional[int] = ..., shareTarget: _Optional[str] = ..., followCount: _Optional[int] = ...) -> None: ...

class RoomUserSeqMessage(_message.Message):
    __slots__ = ("common", "total", "totalUser", "totalPvForAnchor")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    TOTALUSER_FIELD_NUMBER: _ClassVar[int]
    TOTALPVFORANCHOR_FIELD_NUMBER: _ClassVar[int]
    common: Common
    total: int
    totalUser: int
    totalPvForAnchor: str
    def __init__(self, common: _Optional[_Union[Common, _Mapping]] = ..., total: _Optional[int] = ..., totalUser: _Optional[int] = ..., totalPvForAnchor: _Optional[str] = ...) -> None: ...

class ControlMessage(_message.Message):
    __slots__ = ("common", "status")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    common: Common
    status: int
    def __init__(self, common: _Optional[_Union[Common, _Mapping]] = ..., status: _Optional[int] = ...) -> None: ...

class ProductInfo(_message.Message):
    __slots__ = ("promotionId", "index", "explainType")
    PROMOTIONID_FIELD_NUMBER: _ClassVar[int]
    INDEX_FIELD_NUMBER: _ClassVar[int]
    EXPLAINTYPE_FIELD_NUMBER: _ClassVar[int]
    promotionId: int
    index: int
    explainType: int
    def __init__(self, promotionId: _Optional[int] = ..., index: _Optional[int] = ..., explainType: _Optional[int] = ...) -> None: ...

class ProductChangeMessage(_message.Message):
    __slots__ = ("common", "updateTimestamp", "updateToast", "updateProductInfoList", "total")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    UPDATETIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    UPDATETOAST_FIELD_NUMBER: _ClassVar[int]
    UPDATEPRODUCTINFOLIST_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    common: Common
    updateTimestamp: int
    updateToast: str
    updateProductInfoList: _containers.RepeatedCompositeFieldContainer[ProductInfo]
    total: int
    def __init__(self, common: _Optional[_Union[Common, _Mapping]] = ..., updateTimestamp: _Optional[int] = ..., updateToast: _Optional[str] = ..., updateProductInfoList: _Optional[_Iterable[_Union[ProductInfo, _Mapping]]] = ..., total: _Optional[int] = ...) -> None: ...

class LiveShoppingMessage(_message.Message):
    __slots__ = ("common", "msgType", "promotionId")
    COMMON_FIELD_NUMBER: _ClassVar[int]
    MSGTYPE_FIELD_NUMBER: _ClassVar[int]
    PROMOTIONID_FIELD_NUMBER: _ClassVar[int]
    common: Common
    msgType: int
    promotionId: int
    def __init__(self, common: _Optional[_Union[Common, _Mapping]] = ..., msgType: _Optional[int] = ..., promotionId: _Optional[int] = ...) -> None: ...
