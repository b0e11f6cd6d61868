//! What the media layer and the protocol core say to each other.
//!
//! The core never opens a file or a pipeline. It asks the runtime to open a
//! source described by a [`SourceSpec`]; the media layer answers with the
//! source's tracks ([`TrackInfo`]) and then a stream of encoded access units
//! ([`Frame`]). Payloads travel as [`Bytes`] so that one encoded frame is
//! shared, never copied, by every reader.

use std::time::Duration;

use bytes::Bytes;

/// A source opened on the core's request: one pipeline shared by its readers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SourceId(pub u64);

/// Video codecs the server can send (the manual's `<video><codec>` values).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VideoCodec {
    /// H.264 / AVC (RFC 6184), manual name `H264`.
    H264,
    /// H.265 / HEVC (RFC 7798), manual name `H265`.
    H265,
    /// MPEG-4 Part 2 visual (RFC 3016, `MP4V-ES`), manual name `MP4`.
    Mpeg4,
    /// Motion JPEG (RFC 2435), manual name `JPEG`.
    Jpeg,
}

/// Audio codecs the server can send (the manual's `<audio><codec>` values).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AudioCodec {
    /// G.711 A-law, RTP payload type 8 at 8 kHz mono (manual `G711A`).
    Pcma,
    /// G.711 mu-law, RTP payload type 0 at 8 kHz mono (manual `G711U`).
    Pcmu,
    /// G.722 at 16 kHz sampling (RTP clock 8000 per RFC 3551), manual `G722`.
    G722,
    /// G.726 ADPCM; the bit rate in kbit/s (16, 24, 32 or 40), manual `G726`.
    G726 {
        /// Bits per second / 1000; 32 is the usual choice.
        kbps: u8,
    },
    /// MPEG-4 AAC (RFC 3640 AAC-hbr), manual `AAC`.
    Aac,
    /// Opus (RFC 7587), manual `OPUS`.
    Opus,
}

/// The codec of one track.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Codec {
    /// A video track.
    Video(VideoCodec),
    /// An audio track.
    Audio(AudioCodec),
}

impl Codec {
    /// `true` for video codecs.
    pub fn is_video(self) -> bool {
        matches!(self, Codec::Video(_))
    }
}

/// One track of an opened source, as the media layer found it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrackInfo {
    /// The codec of the frames this track delivers.
    pub codec: Codec,
    /// RTP clock rate of the track (90000 for video; the sample rate for most audio).
    pub clock_rate: u32,
    /// Audio sample rate in Hz (0 for video).
    pub sample_rate: u32,
    /// Audio channel count (0 for video).
    pub channels: u8,
    /// Video width in pixels when known (0 otherwise).
    pub width: u32,
    /// Video height in pixels when known (0 otherwise).
    pub height: u32,
    /// Codec configuration needed before the first frame: the AAC
    /// AudioSpecificConfig, or the MPEG-4 visual object sequence header up to the
    /// first VOP. Empty for codecs whose parameters travel in-band (H.264 and
    /// H.265 parameter sets are learned from keyframes).
    pub config: Bytes,
}

/// How a source's timeline relates to its readers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceKind {
    /// One timeline shared by all readers: frames arrive paced in real time.
    Live,
    /// Video on demand: frames arrive as fast as the demuxer goes, each reader
    /// plays them on its own timeline (seek, pause, loop).
    File {
        /// Total duration when the container says it.
        duration: Option<Duration>,
    },
}

/// One encoded access unit (a whole video frame, or one or more audio frames).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    /// Index of the track in the source's [`TrackInfo`] list.
    pub track: usize,
    /// Presentation time from the start of the source.
    pub pts: Duration,
    /// Decode time from the start of the source; equals `pts` without reordering.
    pub dts: Duration,
    /// `true` when a decoder can start here (IDR/IRAP, or every audio frame).
    pub keyframe: bool,
    /// The encoded bytes: Annex B byte stream for H.264/H.265 (with start
    /// codes), a full JPEG image, MPEG-4 visual VOPs, raw AAC (no ADTS), raw
    /// Opus packets, G.711/G.722/G.726 code words.
    pub data: Bytes,
}

/// Wanted video output of a source; `None` fields mean "as the source is".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct VideoOutput {
    /// Output codec; `None` keeps the source codec (passthrough).
    pub codec: Option<VideoCodec>,
    /// Output width in pixels.
    pub width: Option<u32>,
    /// Output height in pixels.
    pub height: Option<u32>,
    /// Output frame rate in frames per second.
    pub framerate: Option<u32>,
    /// Output bit rate in kbit/s when encoding.
    pub bitrate_kbps: Option<u32>,
    /// Frames from one keyframe to the next when encoding (ONVIF GovLength).
    pub keyframe_interval: Option<u32>,
}

/// Wanted audio output of a source; `None` fields mean "as the source is".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct AudioOutput {
    /// Output codec; `None` keeps the source codec (passthrough).
    pub codec: Option<AudioCodec>,
    /// Output sample rate in Hz.
    pub sample_rate: Option<u32>,
    /// Output channel count.
    pub channels: Option<u8>,
    /// Output bit rate in kbit/s when encoding.
    pub bitrate_kbps: Option<u32>,
}

/// Where a source's media comes from.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum SourceLocation {
    /// The built-in live test source: a moving test pattern and a tone.
    TestPattern,
    /// A media file, by its name relative to the media directory (already
    /// checked by the core: no `..`, no absolute path).
    File(String),
    /// A live capture device of the machine the server runs on: a screen, an
    /// application window, a camera or a microphone (the manual's
    /// `screenliveN`, `window=TITLE`, `videodeviceN`, `audiodeviceN`).
    Device(DeviceSource),
}

/// Which capture device a stream name asks for. The core only reads the
/// name; whether the device exists is for the media layer to find out (it
/// answers [`SourceError::NotFound`] when it does not).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum DeviceSource {
    /// `screenlive` / `screenliveN`: the N-th monitor (from 0) of the display.
    Screen {
        /// Monitor index; `screenlive` is 0.
        monitor: u32,
    },
    /// `window=TITLE`: the application window with this title (percent-decoded;
    /// matched without regard to case).
    Window {
        /// The title as the URL spells it.
        title: String,
    },
    /// `videodevice`, `videodeviceN`, `videodevice=NAME`: a camera. Video only.
    Video(DeviceSelector),
    /// `audiodevice`, `audiodeviceN`, `audiodevice=NAME`: a microphone (or any
    /// audio capture source). Audio only.
    Audio(DeviceSelector),
}

/// How a stream name picks one of several capture devices of a kind.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum DeviceSelector {
    /// By position in the device list (`-l device`), from 0.
    Index(u32),
    /// By display name (percent-decoded; matched without regard to case).
    Name(String),
}

impl std::fmt::Display for DeviceSource {
    /// The stream as a person would name it (`screen 0`, `video capture
    /// device "HD Cam"`, ...), for titles and messages.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let selector = |f: &mut std::fmt::Formatter<'_>, kind: &str, s: &DeviceSelector| match s {
            DeviceSelector::Index(i) => write!(f, "{kind} {i}"),
            DeviceSelector::Name(n) => write!(f, "{kind} {n:?}"),
        };
        match self {
            DeviceSource::Screen { monitor } => write!(f, "screen {monitor}"),
            DeviceSource::Window { title } => write!(f, "window {title:?}"),
            DeviceSource::Video(s) => selector(f, "video capture device", s),
            DeviceSource::Audio(s) => selector(f, "audio capture device", s),
        }
    }
}

/// Everything the media layer needs to open a source. Two readers asking for
/// equal specs share one source.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SourceSpec {
    /// Where the media comes from.
    pub location: SourceLocation,
    /// Wanted video output.
    pub video: VideoOutput,
    /// Wanted audio output.
    pub audio: AudioOutput,
}

/// Why a source could not be opened.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SourceError {
    /// No such file or device (answered with RTSP 404).
    NotFound(String),
    /// The source exists but cannot be served as asked (answered with 415/500).
    Unsupported(String),
    /// Anything else the media layer reports (answered with 500).
    Failed(String),
}

impl std::fmt::Display for SourceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SourceError::NotFound(m) => write!(f, "not found: {m}"),
            SourceError::Unsupported(m) => write!(f, "unsupported: {m}"),
            SourceError::Failed(m) => write!(f, "failed: {m}"),
        }
    }
}

impl std::error::Error for SourceError {}

/// What the media layer reports about a source it was asked to open. The
/// runtime turns each into the matching [`crate::server::Input`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MediaEvent {
    /// The source is open; its tracks are known. Comes before any frame.
    Ready {
        /// Which source.
        source: SourceId,
        /// Live or file.
        kind: SourceKind,
        /// Its tracks.
        tracks: Vec<TrackInfo>,
    },
    /// One encoded frame.
    Frame {
        /// Which source.
        source: SourceId,
        /// The frame.
        frame: Frame,
    },
    /// No more frames (end of file or a live source that stopped).
    Ended {
        /// Which source.
        source: SourceId,
    },
    /// The source could not be opened or failed; nothing follows.
    Failed {
        /// Which source.
        source: SourceId,
        /// Why.
        error: SourceError,
    },
}

impl MediaEvent {
    /// The source the event is about.
    pub fn source(&self) -> SourceId {
        match self {
            MediaEvent::Ready { source, .. }
            | MediaEvent::Frame { source, .. }
            | MediaEvent::Ended { source }
            | MediaEvent::Failed { source, .. } => *source,
        }
    }
}
