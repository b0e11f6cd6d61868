//! # onvif-rtsp-media
//!
//! The GStreamer media layer of `onvif-rtsp-server`. The protocol core asks
//! the runtime to open a source ([`SourceSpec`]); the runtime hands the
//! request to a [`MediaEngine`], which builds one GStreamer pipeline for it and
//! answers through a [`MediaSink`] callback with [`MediaEvent`]s:
//!
//! 1. [`MediaEvent::Ready`] once every track's format is known,
//! 2. then [`MediaEvent::Frame`]s (encoded access units as [`bytes::Bytes`]),
//! 3. then [`MediaEvent::Ended`] at the end of a file, or
//!    [`MediaEvent::Failed`] at any time.
//!
//! Nothing is delivered for a source after `Ended`, `Failed` or
//! [`MediaEngine::close`].
//!
//! ## Sources
//!
//! * [`SourceLocation::TestPattern`]: a live, real-time paced test pattern
//!   (scrolling colour bars with running time and wall clock) and a 440 Hz
//!   tone, H.264 + G.711 mu-law by default.
//! * [`SourceLocation::File`]: any container GStreamer can demux, read once
//!   and as fast as possible (the core caches the frames and paces each
//!   reader itself). Streams whose codec is already the wanted one pass
//!   through untouched; the others are decoded and re-encoded.
//! * [`SourceLocation::Device`]: live capture of a screen or an application
//!   window of the X display (`ximagesrc`), a camera or a microphone
//!   (GStreamer's device monitor); H.264 (15 fps for screens and windows, 25
//!   for cameras) or G.711 mu-law by default. A device that is not there
//!   fails with `SourceError::NotFound` naming the cause. [`list_video_devices`],
//!   [`list_audio_devices`], [`list_windows`] and [`list_monitors`] list what
//!   the `N` and `NAME` of the stream names refer to.
//!
//! ## Output formats
//!
//! Frames are exactly what `onvif_rtsp_core::media::Frame` describes:
//! H.264/H.265 as Annex B access units with the parameter sets before every
//! key frame; MPEG-4 Part 2 VOPs (with `TrackInfo::config` = the VOS/VOL
//! header); whole JPEG images; raw AAC (`config` = AudioSpecificConfig); raw
//! Opus packets (48 kHz clock); G.711/G.722/G.726 code words cut into frames
//! of at most 20 ms (G.722 with the RFC 3551 8 kHz clock; G.726 always
//! encoded by us, in the encoder's AAL2 bit order, which the core's
//! packetizer re-packs into the RFC 3551 `G726-<kbps>` order).
//!
//! Decisions worth knowing:
//! * A stream passes through when its codec is one of ours and equals the
//!   wanted one (or none is asked) and no size/rate/channel change is asked;
//!   asking for the value it already has is not a change.
//! * Streams in other codecs default to H.264 and AAC (raw PCM from a WAV
//!   file included: AAC keeps its rate and channels; ask for G.711 to get
//!   telephone audio). G.711 outputs default to 8 kHz mono, G.722 is always
//!   16 kHz mono, Opus 48 kHz with at most 2 channels.
//! * The first video and the first audio stream of a file are served;
//!   subtitles, data and further streams are discarded.
//! * Timestamps start at zero for the earliest first frame of all tracks,
//!   one offset for all tracks, so A/V sync is kept. Decode times are made
//!   non-decreasing (Matroska stores none; they are rebuilt for reordered
//!   video), because the core paces file readers by them.
//!
//! ## Threads
//!
//! Each open source has one control thread (it owns the pipeline, watches its
//! bus and tears it down) plus GStreamer's own streaming threads, which call
//! the sink, one event at a time per source. The sink may block to apply
//! backpressure; it must not block forever once the source has been closed,
//! because the pipeline's teardown waits for that call to return.
//! [`MediaEngine::close`] never waits: after it returns no new event is
//! started for the source, but one that a streaming thread was already
//! handing to the sink may still complete (and events already queued in the
//! runtime's own channel are of course still there), so the runtime should
//! drop events of sources it has closed.
//!
//! [`SourceSpec`]: onvif_rtsp_core::media::SourceSpec
//! [`SourceLocation::TestPattern`]: onvif_rtsp_core::media::SourceLocation::TestPattern
//! [`SourceLocation::File`]: onvif_rtsp_core::media::SourceLocation::File
//! [`SourceLocation::Device`]: onvif_rtsp_core::media::SourceLocation::Device
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod caps;
mod capture;
mod config;
mod encode;
mod engine;
mod error;
mod event;
mod file;
mod gate;
mod plan;
mod test_pattern;
mod track;

pub use capture::{list_audio_devices, list_monitors, list_video_devices, list_windows};
pub use config::{MediaConfig, TestPatternConfig};
pub use engine::MediaEngine;
pub use error::MediaError;
pub use event::{MediaEvent, MediaSink};
