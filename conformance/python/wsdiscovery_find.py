#!/usr/bin/env python3
"""Finds ONVIF devices with the WSDiscovery package (as ONVIF tools and
Home Assistant's discovery do) and prints them as JSON: EPR, types,
scopes, XAddrs. Searches for dn:NetworkVideoTransmitter with the scope
onvif://www.onvif.org/Profile/Streaming.

Usage: wsdiscovery_find.py [TIMEOUT_S] [--loopback]

--loopback: search on the loopback interface too. WSDiscovery skips
loopback addresses, but the tests run in a network namespace that has only
`lo`, so that no multicast packet leaves the machine.
"""
import ipaddress
import json
import socket
import sys

import wsdiscovery.threaded

from wsdiscovery import QName, Scope
from wsdiscovery.discovery import ThreadedWSDiscovery

NVT = QName("http://www.onvif.org/ver10/network/wsdl", "NetworkVideoTransmitter", "dn")

args = [a for a in sys.argv[1:] if not a.startswith("--")]
timeout = float(args[0]) if args else 4.0
if "--loopback" in sys.argv:
    _original = wsdiscovery.threaded._getNetworkAddrs

    def _with_loopback(version):
        extra = [ipaddress.ip_address("127.0.0.1")] if version == socket.AF_INET else []
        return _original(version) + extra

    wsdiscovery.threaded._getNetworkAddrs = _with_loopback
wsd = ThreadedWSDiscovery()
wsd.start()
try:
    services = wsd.searchServices(
        types=[NVT], scopes=[Scope("onvif://www.onvif.org/Profile/Streaming")], timeout=timeout
    )
    found = [
        {
            "epr": s.getEPR(),
            "types": [f"{{{t.getNamespace()}}}{t.getLocalname()}" for t in s.getTypes()],
            "scopes": [str(sc.getValue()) for sc in s.getScopes()],
            "xaddrs": list(s.getXAddrs()),
        }
        for s in services
    ]
finally:
    wsd.stop()
print(json.dumps(found))
