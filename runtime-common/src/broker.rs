//! One pipeline per source for the whole process, shared by every shard.
//!
//! Each shard of a thread-per-core runtime runs its own core server, and
//! each server numbers the sources it opens itself. The broker keys
//! pipelines by [`SourceSpec`]: the first shard to open a spec starts its
//! pipeline, later shards join it, and the pipeline is closed when the last
//! shard closes it (reference counting). Every event of a pipeline reaches
//! each joined shard through that shard's [`MediaInbox`], under the shard's
//! own [`SourceId`]; frames are cloned, which shares their `Bytes` payload
//! and copies nothing.
//!
//! A shard that joins late must see what the others saw: the source's
//! tracks (`Ready`) are kept and replayed to it, and so are a file's frames
//! (a file is read once, as fast as the demuxer goes, and each server
//! caches it whole). The frames of a file are kept only while a shard that
//! has not joined yet might still join, and up to a size limit; when they
//! are gone, a late shard gets a pipeline of its own. Live sources need no
//! history: a late reader starts at the next keyframe, as on one shard.
//!
//! The single-threaded runtime goes through the broker too, with one shard.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use onvif_rtsp_core::media::{
    Frame, MediaEvent, SourceError, SourceId, SourceKind, SourceSpec, TrackInfo,
};

use crate::MediaControl;
use crate::inbox::MediaInbox;

/// Where a pipeline's events go; the same type as `onvif_rtsp_media::MediaSink`.
pub type MediaSink = Arc<dyn Fn(MediaEvent) + Send + Sync>;

/// What actually runs pipelines (the GStreamer media engine, or a fake in
/// tests). Both calls must return at once.
pub trait PipelineHost: Send + Sync {
    /// Starts a pipeline for `spec`; its events go to `sink`, tagged `id`.
    fn open(&self, id: SourceId, spec: SourceSpec, sink: MediaSink);
    /// Stops the pipeline `id`.
    fn close(&self, id: SourceId);
}

/// Default bound on the file frames kept for shards that join late.
pub const DEFAULT_REPLAY_LIMIT_BYTES: usize = 512 * 1024 * 1024;

/// The pipelines of the process and the shards reading them.
#[derive(Clone)]
pub struct MediaBroker {
    inner: Arc<Inner>,
}

struct Inner {
    host: Box<dyn PipelineHost>,
    inboxes: Vec<MediaInbox>,
    replay_limit: usize,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    next_id: u64,
    /// The pipeline a new reader of a spec joins.
    by_spec: HashMap<SourceSpec, u64>,
    pipelines: HashMap<u64, Pipeline>,
    /// (shard, the shard's source id) -> pipeline.
    by_reader: HashMap<(usize, SourceId), u64>,
}

struct Pipeline {
    spec: SourceSpec,
    /// The shards reading it, each with its own id for it.
    readers: Vec<(usize, SourceId)>,
    ready: Option<(SourceKind, Vec<TrackInfo>)>,
    /// A file's frames so far, for shards that join later.
    replay: Option<Vec<Frame>>,
    replay_bytes: usize,
    /// How it ended, for shards that join later.
    end: Option<End>,
}

#[derive(Clone)]
enum End {
    Ended,
    Failed(SourceError),
}

impl MediaBroker {
    /// A broker over `host`, for one shard per inbox (shard `i` reads from
    /// the receiver paired with `inboxes[i]`).
    pub fn new(host: Box<dyn PipelineHost>, inboxes: Vec<MediaInbox>) -> MediaBroker {
        MediaBroker::with_replay_limit(host, inboxes, DEFAULT_REPLAY_LIMIT_BYTES)
    }

    /// As [`MediaBroker::new`], keeping at most `limit` bytes of a file's
    /// frames for late shards (past it, a late shard opens its own pipeline).
    pub fn with_replay_limit(
        host: Box<dyn PipelineHost>,
        inboxes: Vec<MediaInbox>,
        limit: usize,
    ) -> MediaBroker {
        MediaBroker {
            inner: Arc::new(Inner {
                host,
                inboxes,
                replay_limit: limit,
                state: Mutex::new(State {
                    next_id: 1,
                    ..State::default()
                }),
            }),
        }
    }

    /// Shard `index`'s handle, to give its server's runtime.
    pub fn shard(&self, index: usize) -> ShardMedia {
        assert!(
            index < self.inner.inboxes.len(),
            "no inbox for shard {index}"
        );
        ShardMedia {
            inner: self.inner.clone(),
            shard: index,
        }
    }

    /// How many pipelines are open.
    pub fn pipelines(&self) -> usize {
        self.inner.state().pipelines.len()
    }
}

impl Inner {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn shards(&self) -> usize {
        self.inboxes.len()
    }

    fn open(self: &Arc<Self>, shard: usize, local: SourceId, spec: SourceSpec) {
        let mut state = self.state();
        if let Some(old) = state.by_reader.get(&(shard, local)).copied() {
            // The server reuses no ids; be safe if one ever does.
            drop(state);
            self.close(shard, local);
            tracing::warn!(shard, source = local.0, old, "source opened twice");
            state = self.state();
        }
        let joinable = state
            .by_spec
            .get(&spec)
            .copied()
            .filter(|id| state.pipelines.get(id).is_some_and(Pipeline::joinable));
        if let Some(id) = joinable {
            let Some(p) = state.pipelines.get_mut(&id) else {
                return;
            };
            p.readers.push((shard, local));
            let inbox = &self.inboxes[shard];
            // Under the lock, so no event of the pipeline can slip between
            // the history and what follows it.
            if let Some((kind, tracks)) = &p.ready {
                inbox.deliver_now(MediaEvent::Ready {
                    source: local,
                    kind: *kind,
                    tracks: tracks.clone(),
                });
            }
            for frame in p.replay.iter().flatten() {
                inbox.deliver_now(MediaEvent::Frame {
                    source: local,
                    frame: frame.clone(),
                });
            }
            if let Some(end) = &p.end {
                inbox.deliver_now(end.event(local));
            }
            if p.readers.len() >= self.shards() {
                // Every shard has it now: nobody else can join.
                p.replay = None;
                p.replay_bytes = 0;
            }
            tracing::debug!(
                shard,
                source = local.0,
                pipeline = id,
                "joined a shared pipeline"
            );
            state.by_reader.insert((shard, local), id);
            return;
        }
        let id = state.next_id;
        state.next_id += 1;
        state.pipelines.insert(
            id,
            Pipeline {
                spec: spec.clone(),
                readers: vec![(shard, local)],
                ready: None,
                replay: None,
                replay_bytes: 0,
                end: None,
            },
        );
        state.by_spec.insert(spec.clone(), id);
        state.by_reader.insert((shard, local), id);
        drop(state);
        let weak = Arc::downgrade(self);
        let sink: MediaSink = Arc::new(move |event| on_event(&weak, id, event));
        // Outside the lock: a host may report a failure from inside `open`.
        self.host.open(SourceId(id), spec, sink);
    }

    fn close(&self, shard: usize, local: SourceId) {
        let mut state = self.state();
        let Some(id) = state.by_reader.remove(&(shard, local)) else {
            return;
        };
        let Some(p) = state.pipelines.get_mut(&id) else {
            return;
        };
        p.readers.retain(|r| *r != (shard, local));
        if !p.readers.is_empty() {
            return;
        }
        let spec = state.pipelines.remove(&id).map(|p| p.spec);
        if let Some(spec) = spec {
            if state.by_spec.get(&spec) == Some(&id) {
                state.by_spec.remove(&spec);
            }
        }
        drop(state);
        self.host.close(SourceId(id));
    }
}

impl Pipeline {
    /// Whether a new reader can join and see everything it needs: a live
    /// source always, a file while its frames so far are kept.
    fn joinable(&self) -> bool {
        match &self.ready {
            // No frame comes before `Ready`: nothing to have missed.
            None => true,
            Some((SourceKind::Live, _)) => true,
            Some((SourceKind::File { .. }, _)) => self.replay.is_some(),
        }
    }
}

impl End {
    fn event(&self, source: SourceId) -> MediaEvent {
        match self {
            End::Ended => MediaEvent::Ended { source },
            End::Failed(error) => MediaEvent::Failed {
                source,
                error: error.clone(),
            },
        }
    }
}

/// An event of pipeline `id`, on a media thread: remembered for late
/// shards, then delivered to every shard reading it (outside the lock, as
/// delivering a frame may wait for a slow shard).
fn on_event(inner: &Weak<Inner>, id: u64, event: MediaEvent) {
    let Some(inner) = inner.upgrade() else {
        return;
    };
    let shards = inner.shards();
    let readers = {
        let mut state = inner.state();
        let Some(p) = state.pipelines.get_mut(&id) else {
            // Closed by every shard; the host has been told to stop.
            return;
        };
        let mut unshare = false;
        match &event {
            MediaEvent::Ready { kind, tracks, .. } => {
                p.ready = Some((*kind, tracks.clone()));
                if matches!(kind, SourceKind::File { .. }) && p.readers.len() < shards {
                    p.replay = Some(Vec::new());
                }
            }
            MediaEvent::Frame { frame, .. } => {
                if let Some(frames) = p.replay.as_mut() {
                    p.replay_bytes += frame.data.len();
                    if p.replay_bytes > inner.replay_limit {
                        tracing::debug!(pipeline = id, "file too large to share with late shards");
                        p.replay = None;
                        p.replay_bytes = 0;
                        unshare = true;
                    } else {
                        frames.push(frame.clone());
                    }
                }
            }
            MediaEvent::Ended { .. } => {
                p.end = Some(End::Ended);
                // A live source that stopped is opened anew by the next reader.
                unshare = !matches!(p.ready, Some((SourceKind::File { .. }, _)));
            }
            MediaEvent::Failed { error, .. } => {
                p.end = Some(End::Failed(error.clone()));
                unshare = !matches!(p.ready, Some((SourceKind::File { .. }, _)));
            }
        }
        let readers = p.readers.clone();
        if unshare {
            let spec = p.spec.clone();
            if state.by_spec.get(&spec) == Some(&id) {
                state.by_spec.remove(&spec);
            }
        }
        readers
    };
    let mut rest = readers.len();
    let mut event = Some(event);
    for (shard, local) in readers {
        rest -= 1;
        // The last reader takes the event itself: one clone fewer.
        let mut e = if rest == 0 {
            event.take()
        } else {
            event.clone()
        }
        .expect("taken by the last reader only");
        set_source(&mut e, local);
        inner.inboxes[shard].deliver(e);
    }
}

fn set_source(event: &mut MediaEvent, id: SourceId) {
    match event {
        MediaEvent::Ready { source, .. }
        | MediaEvent::Frame { source, .. }
        | MediaEvent::Ended { source }
        | MediaEvent::Failed { source, .. } => *source = id,
    }
}

/// One shard's handle on the [`MediaBroker`]: the [`MediaControl`] its
/// server's runtime uses.
pub struct ShardMedia {
    inner: Arc<Inner>,
    shard: usize,
}

impl MediaControl for ShardMedia {
    fn open(&self, source: SourceId, spec: SourceSpec) {
        self.inner.open(self.shard, source, spec);
    }

    fn close(&self, source: SourceId) {
        self.inner.close(self.shard, source);
    }
}

#[cfg(test)]
mod tests;
