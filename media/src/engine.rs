//! The engine: opens and closes sources, one pipeline and one control thread
//! each.
//!
//! The control thread builds the pipeline, starts it, and then sleeps on the
//! pipeline's bus: errors become `Failed`, end-of-stream becomes `Ended`, and
//! `close` (or a failure found on a streaming thread) wakes it with an
//! application message so that it tears the pipeline down. Setting a pipeline
//! to `Null` waits for its streaming threads, so it is never done on the
//! caller's thread nor on a streaming thread.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use gstreamer as gst;
use gstreamer::prelude::*;
use onvif_rtsp_core::media::{SourceError, SourceId, SourceLocation, SourceSpec};

use crate::config::MediaConfig;
use crate::encode::{OPTIONAL_ELEMENTS, REQUIRED_ELEMENTS, element_available};
use crate::error::MediaError;
use crate::event::MediaSink;
use crate::gate::Gate;
use crate::{capture, file, test_pattern};

/// How long a source may take to know its tracks before it is declared failed
/// (a stalled demuxer or a negotiation that never completes must not leave a
/// client waiting forever).
const READY_TIMEOUT: Duration = Duration::from_secs(20);

/// Opens sources on the core's request and reports their frames.
///
/// Cheap to share behind an `Arc`; every method takes `&self` and returns at
/// once. Dropping the engine closes every source still open.
pub struct MediaEngine {
    shared: Arc<Shared>,
}

struct Shared {
    config: MediaConfig,
    sources: Mutex<HashMap<SourceId, Arc<Gate>>>,
}

impl Shared {
    fn sources(&self) -> MutexGuard<'_, HashMap<SourceId, Arc<Gate>>> {
        self.sources.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Forgets `gate` if it is still the one registered under its id.
    fn unregister(&self, gate: &Arc<Gate>) {
        let mut sources = self.sources();
        if sources
            .get(&gate.source())
            .is_some_and(|g| Arc::ptr_eq(g, gate))
        {
            sources.remove(&gate.source());
        }
    }
}

impl MediaEngine {
    /// Initialises GStreamer and checks that the elements the server needs
    /// are installed; the error names the missing ones. Elements needed only
    /// by some codecs are logged when missing, and a source asking for them
    /// fails with `Unsupported`.
    pub fn new(config: MediaConfig) -> Result<MediaEngine, MediaError> {
        gst::init().map_err(|e| MediaError::Init(e.to_string()))?;
        let missing: Vec<String> = REQUIRED_ELEMENTS
            .iter()
            .filter(|spec| !element_available(spec))
            .map(|spec| spec.to_string())
            .collect();
        if !missing.is_empty() {
            return Err(MediaError::MissingElements(missing));
        }
        for name in OPTIONAL_ELEMENTS.iter().filter(|n| !element_available(n)) {
            tracing::warn!(
                element = name,
                "GStreamer element not installed; codecs that need it are unavailable"
            );
        }
        Ok(MediaEngine {
            shared: Arc::new(Shared {
                config,
                sources: Mutex::new(HashMap::new()),
            }),
        })
    }

    /// The configuration the engine was built with.
    pub fn config(&self) -> &MediaConfig {
        &self.shared.config
    }

    /// Opens `spec` as `source`; everything about it arrives through `sink`.
    /// Returns at once: the pipeline is built and started on the source's own
    /// thread. Opening an id that is still open closes the old source first.
    pub fn open(&self, source: SourceId, spec: SourceSpec, sink: MediaSink) {
        // Everything but a file is paced in real time with one shared timeline.
        let live = !matches!(spec.location, SourceLocation::File(_));
        let gate = Arc::new(Gate::new(source, sink, live));
        if let Some(old) = self.shared.sources().insert(source, gate.clone()) {
            tracing::warn!(
                source = source.0,
                "source opened again; closing the previous one"
            );
            old.close();
        }
        let shared = self.shared.clone();
        let thread_gate = gate.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("media-{}", source.0))
            .spawn(move || run_source(&shared, &thread_gate, &spec));
        if let Err(e) = spawned {
            gate.fail(SourceError::Failed(format!("cannot start a thread: {e}")));
            self.shared.unregister(&gate);
        }
    }

    /// Stops and frees `source`'s pipeline. No event for it is started after
    /// this returns (one already being handed to the sink on another thread
    /// at this instant may still complete). Unknown ids are ignored.
    pub fn close(&self, source: SourceId) {
        let gate = self.shared.sources().remove(&source);
        if let Some(gate) = gate {
            gate.close();
        }
    }

    /// The number of sources open (not yet closed, ended or failed).
    pub fn open_sources(&self) -> usize {
        self.shared.sources().len()
    }
}

impl Drop for MediaEngine {
    fn drop(&mut self) {
        let gates: Vec<_> = self.shared.sources().drain().map(|(_, g)| g).collect();
        for gate in gates {
            gate.close();
        }
    }
}

/// The life of one source, on its control thread.
fn run_source(shared: &Shared, gate: &Arc<Gate>, spec: &SourceSpec) {
    let built = match &spec.location {
        SourceLocation::TestPattern => test_pattern::build(&shared.config.test_pattern, spec, gate),
        SourceLocation::File(name) => file::build(&shared.config.media_dir, name, spec, gate),
        SourceLocation::Device(device) => capture::build(device, spec, gate),
    };
    match built {
        Ok(pipeline) => {
            watch(&pipeline, gate);
            if pipeline.set_state(gst::State::Null).is_err() {
                tracing::warn!(source = gate.source().0, "pipeline did not stop cleanly");
            }
        }
        Err(error) => gate.fail(error),
    }
    shared.unregister(gate);
}

/// Runs the pipeline until it ends, fails, or the source is closed.
fn watch(pipeline: &gst::Pipeline, gate: &Gate) {
    let Some(bus) = pipeline.bus() else {
        gate.fail(SourceError::Failed("pipeline has no bus".into()));
        return;
    };
    gate.set_waker(bus.clone());
    if gate.is_stopped() {
        return;
    }
    if pipeline.set_state(gst::State::Playing).is_err() {
        // The reason, if any, is an error message on the bus.
        let error = bus
            .pop_filtered(&[gst::MessageType::Error])
            .and_then(|msg| match msg.view() {
                gst::MessageView::Error(err) => Some(source_error(err)),
                _ => None,
            })
            .unwrap_or_else(|| SourceError::Failed("pipeline refused to start".into()));
        gate.fail(error);
        return;
    }
    let deadline = Instant::now() + READY_TIMEOUT;
    loop {
        if gate.is_stopped() {
            return;
        }
        let timeout = if gate.is_ready() {
            gst::ClockTime::NONE
        } else {
            let left = deadline.saturating_duration_since(Instant::now());
            Some(gst::ClockTime::from_nseconds(
                u64::try_from(left.as_nanos()).unwrap_or(u64::MAX),
            ))
        };
        let Some(msg) = bus.timed_pop(timeout) else {
            if !gate.is_ready() && Instant::now() >= deadline {
                gate.fail(SourceError::Failed(format!(
                    "no media data within {} s",
                    READY_TIMEOUT.as_secs()
                )));
                return;
            }
            continue;
        };
        match msg.view() {
            gst::MessageView::Eos(_) => {
                gate.finish();
                return;
            }
            gst::MessageView::Error(err) => {
                tracing::debug!(source = gate.source().0, error = %err.error(), debug = ?err.debug(), "pipeline error");
                gate.fail(source_error(err));
                return;
            }
            gst::MessageView::Warning(w) => {
                tracing::warn!(source = gate.source().0, warning = %w.error(), debug = ?w.debug(), "pipeline warning");
            }
            _ => {}
        }
    }
}

/// Maps a GStreamer error to what the core tells the client.
fn source_error(err: &gst::message::Error) -> SourceError {
    let e = err.error();
    let origin = err
        .src()
        .map(|s| s.name().to_string())
        .unwrap_or_else(|| "pipeline".into());
    let text = format!("{} ({origin})", e.message());
    let unsupported = e.matches(gst::StreamError::TypeNotFound)
        || e.matches(gst::StreamError::WrongType)
        || e.matches(gst::StreamError::CodecNotFound)
        || e.matches(gst::StreamError::Demux)
        || e.matches(gst::StreamError::Format)
        || e.matches(gst::CoreError::MissingPlugin)
        || e.matches(gst::CoreError::Negotiation);
    // A failed negotiation surfaces as a generic flow error from the
    // demuxer; its debug text says so.
    let not_negotiated = err.debug().is_some_and(|d| d.contains("not-negotiated"));
    if not_negotiated {
        SourceError::Unsupported(format!(
            "{text}: the stream cannot be converted to the requested format"
        ))
    } else if unsupported {
        SourceError::Unsupported(text)
    } else if e.matches(gst::ResourceError::NotFound) || e.matches(gst::ResourceError::OpenRead) {
        SourceError::NotFound(text)
    } else {
        SourceError::Failed(text)
    }
}
