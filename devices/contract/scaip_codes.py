"""Every SCAIP code value of SS 91100:2014, by name, for verdicts on SCAIP alarm messages.

The values are those listed by the open-source SCAIP gateway github.com/caruhome/scaip-gateway,
file ``scaip_gateway/spec.py`` (enums ``DeviceType``, ``StatusCode``, ``LocationCode``; see
:data:`devices.contract.catalog.SCAIP_SOURCE`). The names are that file's, in lower case. The
catalog names only the codes it maps to an event; these tables let a verdict tell a code
SCAIP knows but the contract does not use from a code SCAIP does not know at all.

That source lists ``0050`` twice (*inactive* and *initiated*) and no ``0049``; the standard's
own table was not available to settle it, so ``0050`` is given both names here.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final


def code_table(names: str, width: int) -> Mapping[str, str]:
    """A read-only table ``code -> name`` from ``"code name"`` lines (codes zero-padded)."""
    rows = (line.strip().split(" ", 1) for line in names.strip().splitlines())
    return MappingProxyType({code.zfill(width): name for code, name in rows})


ALL_DEVICE_TYPES: Final = code_table(
    """
    0000 unknown
    0001 undefined
    0002 local unit and controller
    0003 personal trigger
    0004 fixed trigger
    0005 fall detector
    0006 personal attack trigger
    0007 panic button
    0008 duty switch (remote)
    0009 duty switch (local)
    0010 activity detector
    0011 pill dispenser
    0012 bed monitor
    0013 mat sensor
    0014 door sensor
    0015 wandering sensor
    0016 enuresis detector
    0017 epilepsy detector
    0018 occupancy detector
    0019 heart rate monitor
    0020 environmental monitor
    0021 gas detector
    0022 lighting circuit monitor
    0023 smoke detector
    0024 heating system monitor
    0025 heat detector
    0026 carbon monoxide detector
    0027 bogus caller switch
    0028 intruder detector
    0029 boundary detector
    0030 automatic man-down detector
    0031 system monitor
    0032 communication link monitor
    0033 flood detector
    0034 bath sensor
    0035 latch key
    0036 perimeter
    0037 sprinkler
    0038 tamper
    0039 printer
    0040 router
    0041 power supply
    0043 access controller
    0044 chair monitor
    0045 controller
    0046 elevator alarm unit
    0047 fire alarm system
    0048 local unit
    0049 monitoring device
    0050 radio unit
    0051 tracking device
    """,
    4,
)
"""SCAIP device types (``dty``), by code."""

ALL_STATUS_CODES: Final = code_table(
    """
    0000 unknown
    0001 undefined
    0002 abort
    0003 absent
    0004 accepted
    0005 acknowledge
    0006 activated
    0007 active
    0008 added
    0009 automatic alarm
    0010 manual alarm
    0011 alert
    0012 armed
    0013 assigned
    0014 battery failure
    0015 battery ok
    0016 battery low
    0017 busy
    0018 bypass
    0019 cancel
    0020 charged
    0021 closed
    0022 closed too long
    0023 IP connection failure
    0024 mobile network connection failure
    0025 POTS connection failure
    0026 primary communication link failure
    0027 redundant communication link failure
    0028 deleted
    0029 denied
    0030 disarmed
    0031 disconnected
    0032 error code 1
    0033 error code 2
    0034 error code 3
    0035 error code 4
    0036 error code 5
    0037 error code 6
    0038 error code 7
    0039 error code 8
    0040 error code 9
    0041 executed
    0042 failure
    0043 frequency drifted
    0044 frequency drifted to lower level
    0045 frequency drifted to upper level
    0046 high level
    0047 in progress
    0048 in service
    0050 inactive or initiated (listed twice in the source)
    0051 interrupted
    0052 jammed
    0053 level 1
    0054 level 2
    0055 level 3
    0056 level 4
    0057 level 5
    0058 level 6
    0059 level 7
    0060 level 8
    0061 level 9
    0062 log
    0063 loss
    0064 low level
    0065 maintenance needed
    0066 urgent maintenance needed
    0067 malfunction
    0068 memory full
    0069 non active
    0070 normal state
    0071 occupied
    0072 off
    0073 offline
    0074 on
    0075 online
    0076 open
    0077 open too long
    0078 out of service
    0079 overflow
    0080 pending
    0081 pill not taken
    0082 pill reminder
    0083 pill taken
    0084 planned
    0085 power failure
    0086 power restored
    0087 planned presence
    0088 presence after alarm
    0089 privacy switch operated
    0090 pulse
    0091 reestablished
    0092 automatic reset
    0093 manual reset
    0094 restoral
    0095 RF interference
    0096 started
    0097 ended
    0098 substituted
    0099 succeeded
    0100 temperature high
    0101 temperature low
    0102 test transmission over primary channel
    0103 test transmission over redundant channel
    0104 time out
    0105 trouble
    0106 trespass
    0107 unauthorized access
    0108 unbypass
    0109 verified
    0110 assistance
    0111 intervention complete
    0112 IP connection reestablished
    0113 mobile network connection reestablished
    0114 POTS connection reestablished
    0115 primary communication link reestablished
    0116 redundant communication link reestablished
    0117 lying in bed
    0118 locked
    0119 movement
    0120 occupancy
    0121 present
    0122 radio interference
    0123 radio test transmission missing
    0124 radio test transmission reestablished
    0125 tamper alarm
    0126 temperature rate of rise
    0127 unlocked
    """,
    4,
)
"""SCAIP status codes (``stc``), by code."""

GEO_FENCE: Final = "019"
"""SCAIP location code (``lco``) *geo-fence*."""

SOME_LOCATION_CODES: Final = code_table(
    """
    000 unknown
    001 undefined
    002 home
    003 away
    004 indoors
    005 outdoors
    011 bathroom
    012 bedroom
    019 geo-fence
    021 kitchen
    034 geo position attached
    035 GPS position attached
    039 front door
    043 living room
    """,
    3,
)
"""A few SCAIP location codes (``lco``) used in the examples; the source lists 000..052."""
LOCATION_CODE_COUNT: Final = 53
"""The source lists location codes 000..052."""
