#!/usr/bin/env python3
"""Calls one ONVIF operation with Home Assistant's client (onvif-zeep-async)
and prints the answer as JSON.

Usage: onvif_call.py HOST PORT USER PASSWORD SERVICE OPERATION [JSON_PARAMS]
SERVICE is devicemgmt, media or events (the library has no Media2 WSDL).
Exit status 0 with the result; 2 with {"fault": ...} on a SOAP fault or an
authentication failure.
"""
import asyncio
import json
import sys

import zeep.helpers
from onvif import ONVIFCamera
from onvif.exceptions import ONVIFAuthError, ONVIFError
from zeep.exceptions import Fault


async def main(host, port, user, password, service, operation, params):
    cam = ONVIFCamera(host, port, user, password, no_cache=True)
    try:
        await cam.update_xaddrs()
        factory = {
            "devicemgmt": cam.create_devicemgmt_service,
            "media": cam.create_media_service,
            "events": cam.create_events_service,
        }.get(service)
        if factory is None:
            return 2, {"fault": f"unknown service {service}"}
        svc = await factory()
        result = await getattr(svc, operation)(params) if params is not None else await getattr(svc, operation)()
        return 0, zeep.helpers.serialize_object(result)
    except (Fault, ONVIFAuthError, ONVIFError) as e:
        return 2, {"fault": str(e)}
    finally:
        await cam.close()


if __name__ == "__main__":
    host, port, user, password, service, operation = sys.argv[1:7]
    params = json.loads(sys.argv[7]) if len(sys.argv) > 7 else None
    code, result = asyncio.run(main(host, int(port), user, password, service, operation, params))
    print(json.dumps(result, default=str))
    sys.exit(code)
