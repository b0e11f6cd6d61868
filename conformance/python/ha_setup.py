#!/usr/bin/env python3
"""Home Assistant's ONVIF setup, run with its own client library
(onvif-zeep-async) against a device, as homeassistant/components/onvif does:
time check, services/capabilities, device information, network interfaces
(the MAC is HA's unique id), profiles, stream URIs, a snapshot, and an
event pull point that receives a motion event, is renewed and unsubscribed.

Usage: ha_setup.py HOST PORT USER PASSWORD [EVENT_TIMEOUT_S [SNAPSHOT_FILE]]
Prints one JSON object on stdout; exits non-zero with the error otherwise.
"""
import asyncio
import datetime as dt
import json
import sys

from onvif import ONVIFCamera


async def main(host, port, user, password, event_timeout, snapshot_file):
    out = {}
    cam = ONVIFCamera(host, port, user, password, no_cache=True)
    try:
        await cam.update_xaddrs()
        out["xaddrs"] = sorted(cam.xaddrs.keys())
        device = await cam.create_devicemgmt_service()
        when = await device.GetSystemDateAndTime()
        out["utc_year"] = when.UTCDateTime.Date.Year
        info = await device.GetDeviceInformation()
        out["information"] = {
            "manufacturer": info.Manufacturer,
            "model": info.Model,
            "firmware": info.FirmwareVersion,
            "serial": info.SerialNumber,
        }
        nics = await device.GetNetworkInterfaces()
        out["macs"] = [n.Info.HwAddress for n in nics if n.Info is not None]
        capabilities = await device.GetCapabilities({"Category": "All"})
        out["events_xaddr"] = capabilities.Events.XAddr if capabilities.Events else None

        media = await cam.create_media_service()
        media_caps = await media.GetServiceCapabilities()
        out["snapshot_capability"] = bool(media_caps.SnapshotUri)
        profiles = await media.GetProfiles()
        out["profiles"] = []
        for p in profiles:
            enc = p.VideoEncoderConfiguration
            req = media.create_type("GetStreamUri")
            req.ProfileToken = p.token
            req.StreamSetup = {"Stream": "RTP-Unicast", "Transport": {"Protocol": "RTSP"}}
            uri = await media.GetStreamUri(req)
            out["profiles"].append(
                {
                    "token": p.token,
                    "encoding": enc.Encoding if enc else None,
                    "width": enc.Resolution.Width if enc else None,
                    "height": enc.Resolution.Height if enc else None,
                    "stream_uri": uri.Uri,
                }
            )
        snapshot = await cam.get_snapshot(profiles[0].token)
        out["snapshot_bytes"] = len(snapshot) if snapshot else 0
        out["snapshot_is_jpeg"] = bool(snapshot) and snapshot[:2] == b"\xff\xd8"
        if snapshot and snapshot_file:
            with open(snapshot_file, "wb") as f:
                f.write(snapshot)

        events = await cam.create_events_service()
        props = await events.GetEventProperties()
        out["topic_dialects"] = list(props.TopicExpressionDialect or [])
        lost = []
        manager = await cam.create_pullpoint_manager(dt.timedelta(seconds=60), lambda: lost.append(True))
        pullpoint = manager.get_service()
        received = []
        deadline = asyncio.get_running_loop().time() + event_timeout
        while asyncio.get_running_loop().time() < deadline and not any("Motion" in t for t in received):
            msgs = await pullpoint.PullMessages({"MessageLimit": 100, "Timeout": dt.timedelta(seconds=5)})
            for m in msgs.NotificationMessage or []:
                received.append(str(m.Topic._value_1))
        out["event_topics"] = received
        renewed = await manager._subscription.Renew(cam.get_next_termination_time(dt.timedelta(seconds=60)))
        out["renewed"] = renewed.TerminationTime is not None
        await manager.shutdown()
        out["unsubscribed"] = True
        out["subscription_lost"] = bool(lost)
    finally:
        await cam.close()
    return out


if __name__ == "__main__":
    host, port, user, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    timeout = float(sys.argv[5]) if len(sys.argv) > 5 else 30.0
    snapshot_file = sys.argv[6] if len(sys.argv) > 6 else None
    result = asyncio.run(main(host, port, user, password, timeout, snapshot_file))
    print(json.dumps(result, default=str))
