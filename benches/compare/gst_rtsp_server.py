#!/usr/bin/python3
"""gst-rtsp-server (Debian's, through python3-gi) serving one media file as
ONE shared, live-paced media, for benches/compare/run.sh.

    /usr/bin/python3 benches/compare/gst_rtsp_server.py PORT FILE [MOUNT]

Serves rtsp://127.0.0.1:PORT/MOUNT (default: the file's name): H.264
passed through (qtdemux ! h264parse ! rtph264pay) and AAC (aacparse !
rtpmp4gpay), one pipeline shared by every reader (factory.set_shared(True)),
paced by the stream sinks syncing to the pipeline clock. Two settings
make it serve hundreds of readers at all:
- the media answers "not seekable" (a probe on the payloaders), so a
  PLAY with `Range: npt=0.000-` (ffmpeg's, rtsp-load's) does not seek the
  shared pipeline: gst-rtsp-server 1.22 does that for every joining reader,
  rewinding everyone, and deadlocks with a few dozen concurrent joins;
- a listen backlog of 1024 (GST_BACKLOG) instead of 5, which drops most
  of a burst of connections (they retry after 1, 3, 7 s).
It does not loop: run.sh starts a fresh server for every run, and a run
(ramp, 1 s warm-up, 20 s window) ends well within the 60 s file. (Looping
by a segment seek at the demuxer's EOS did not work: the demuxer reaches
EOS seconds ahead of playback, behind its queues.)
GST_LIVE=1 adds a silent live source to the bin (the pipeline becomes live);
GST_THREADS=N sets the client thread pool's size (default: gst's, 1);
GST_SEEKABLE=1 keeps the media seekable (to see the deadlock).

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


def not_seekable(_pad, info):
    """Answers the media's SEEKING query with "not seekable".

    gst-rtsp-server 1.22 seeks the shared media for each PLAY with a Range
    (ffmpeg and rtsp-load send `Range: npt=0.000-`): every joining reader
    rewinds the stream of all the others, and with a few dozen concurrent
    joins the seek deadlocks the server (seen with gdb: PLAY ->
    gst_rtsp_media_seek_trickmode -> gst_rtsp_stream_set_blocked, waiting
    on streaming threads that wait on the media's lock). A camera's stream
    is never seeked; a media that says it cannot seek is not.
    """
    query = info.get_query()
    if query is not None and query.type == Gst.QueryType.SEEKING:
        # Answered as created: seekable FALSE (python holds a second
        # reference, so the query cannot be written to here).
        return Gst.PadProbeReturn.HANDLED
    return Gst.PadProbeReturn.OK


class SharedFactory(GstRtspServer.RTSPMediaFactory):
    """One shared media for every reader, answering "not seekable"."""

    def __init__(self, path, live, unseekable):
        super().__init__()
        self.unseekable = unseekable
        self.set_launch(launch_line(path, live))
        self.set_shared(True)
        self.connect("media-configure", self.on_media_configure)

    def on_media_configure(self, _factory, media):
        if not self.unseekable:
            return
        bin_ = media.get_element()
        for name in ("pay0", "pay1"):
            pay = bin_.get_by_name(name)
            if pay is not None:
                pay.get_static_pad("src").add_probe(Gst.PadProbeType.QUERY_UPSTREAM, not_seekable)


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    port, path = sys.argv[1], os.path.abspath(sys.argv[2])
    mount = "/" + (sys.argv[3] if len(sys.argv) > 3 else os.path.basename(path))
    live = os.environ.get("GST_LIVE", "0") == "1"
    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(port)
    # The default listen backlog (5) drops most of a burst of connections,
    # which then retry after 1, 3, 7 s: give it the backlog a server of
    # hundreds of readers needs (ours listens with the system's maximum).
    server.set_backlog(int(os.environ.get("GST_BACKLOG", "1024")))
    threads = int(os.environ.get("GST_THREADS", "0"))
    if threads:
        server.get_thread_pool().set_max_threads(threads)
    server.get_mount_points().add_factory(mount, SharedFactory(path, live, os.environ.get("GST_SEEKABLE", "0") == "0"))
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
