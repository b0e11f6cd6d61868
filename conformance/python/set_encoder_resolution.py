#!/usr/bin/env python3
"""Changes a profile's video encoder resolution the way an NVR does
(GetProfile, GetVideoEncoderConfiguration, SetVideoEncoderConfiguration)
with onvif-zeep-async, then prints the profile's new stream URI.

Usage: set_encoder_resolution.py HOST PORT USER PASSWORD PROFILE WIDTH HEIGHT
"""
import asyncio
import sys

from onvif import ONVIFCamera


async def main(host, port, user, password, profile, width, height):
    cam = ONVIFCamera(host, port, user, password, no_cache=True)
    try:
        await cam.update_xaddrs()
        media = await cam.create_media_service()
        p = await media.GetProfile({"ProfileToken": profile})
        token = p.VideoEncoderConfiguration.token
        config = await media.GetVideoEncoderConfiguration({"ConfigurationToken": token})
        config.Resolution.Width = width
        config.Resolution.Height = height
        await media.SetVideoEncoderConfiguration({"Configuration": config, "ForcePersistence": True})
        uri = await media.GetStreamUri(
            {
                "ProfileToken": profile,
                "StreamSetup": {"Stream": "RTP-Unicast", "Transport": {"Protocol": "RTSP"}},
            }
        )
        return uri.Uri
    finally:
        await cam.close()


if __name__ == "__main__":
    host, port, user, password, profile, width, height = sys.argv[1:8]
    print(asyncio.run(main(host, int(port), user, password, profile, int(width), int(height))))
