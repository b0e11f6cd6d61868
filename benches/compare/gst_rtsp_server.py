#!/usr/bin/python3
"""gst-rtsp-server (Debian's, through python3-gi) serving one media file as
ONE shared, live-paced media, for benches/compare/run.sh.

    /usr/bin/python3 benches/compare/gst_rtsp_server.py PORT FILE [MOUNT]

Serves rtsp://127.0.0.1:PORT/MOUNT (default: the file's name): H.264
passed through (qtdemux ! h264parse ! rtph264pay) and AAC (aacparse !
rtpmp4gpay), one pipeline shared by every reader (factory.set_shared(True)).
The pipeline is made live by a silent live source in the same bin
(audiotestsrc is-live=true ! fakesink): a live media is not seekable, so a
reader's PLAY with `Range: npt=0.000-` (ffmpeg's, and rtsp-load's) does not
rewind the shared timeline for everyone else, and frames leave at the
file's pace (the stream's sinks sync to the clock). At the end of the file
the media loops: the demuxer's EOS is dropped and a segment seek to 0 is
issued, so the stream continues with increasing timestamps.

Needs: apt-get install gir1.2-gst-rtsp-server-1.0 python3-gi
gstreamer1.0-plugins-good gstreamer1.0-plugins-bad. Prints "listening on
PORT" when ready; stops on SIGTERM/SIGINT.
"""

import os
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402


def launch_line(path, live):
    loc = path.replace("\\", "\\\\").replace('"', '\\"')
    line = (
        f'( filesrc location="{loc}" ! qtdemux name=demux '
        "demux.video_0 ! queue max-size-time=0 max-size-bytes=0 max-size-buffers=200 "
        "! h264parse config-interval=-1 ! rtph264pay name=pay0 pt=96 config-interval=-1 "
        "demux.audio_0 ! queue max-size-time=0 max-size-bytes=0 max-size-buffers=400 "
        "! aacparse ! rtpmp4gpay name=pay1 pt=97 "
    )
    if live:
        line += "audiotestsrc is-live=true wave=silence samplesperbuffer=4800 ! fakesink sync=false async=false "
    return line + ")"


class LoopingFactory(GstRtspServer.RTSPMediaFactory):
    """Loops the file: at the demuxer's end of stream, seek back to 0."""

    def __init__(self, path, live):
        super().__init__()
        self.set_launch(launch_line(path, live))
        self.set_shared(True)
        self.connect("media-configure", self.on_media_configure)

    def on_media_configure(self, _factory, media):
        bin_ = media.get_element()
        demux = bin_.get_by_name("demux")
        if demux is None:
            return
        state = {"pending": 0}

        def on_pad(_demux, pad):
            pad.add_probe(Gst.PadProbeType.EVENT_DOWNSTREAM, on_event)

        def on_event(pad, info):
            event = info.get_event()
            if event.type == Gst.EventType.EOS:
                state["pending"] += 1
                GLib.idle_add(seek_back)
                return Gst.PadProbeReturn.DROP
            if event.type == Gst.EventType.SEGMENT_DONE:
                state["pending"] += 1
                GLib.idle_add(seek_back)
                return Gst.PadProbeReturn.DROP
            return Gst.PadProbeReturn.OK

        def seek_back():
            # One seek for the EOS of every stream of the demuxer.
            if state["pending"] == 0:
                return False
            state["pending"] = 0
            demux.seek_simple(Gst.Format.TIME, Gst.SeekFlags.SEGMENT, 0)
            return False

        demux.connect("pad-added", on_pad)


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    port, path = sys.argv[1], os.path.abspath(sys.argv[2])
    mount = "/" + (sys.argv[3] if len(sys.argv) > 3 else os.path.basename(path))
    live = os.environ.get("GST_LIVE", "1") != "0"
    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(port)
    server.get_mount_points().add_factory(mount, LoopingFactory(path, live))
    if server.attach(None) == 0:
        print(f"cannot listen on {port}", file=sys.stderr)
        return 1
    loop = GLib.MainLoop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, sig, loop.quit)
    print(f"listening on {port}{mount}", flush=True)
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
