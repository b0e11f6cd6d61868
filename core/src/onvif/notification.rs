//! An ONVIF event message (`tt:Message`, ONVIF Core "Notification
//! structure"), as handlers emit it through [`super::Effect::Notify`] and as
//! the event service writes it into `wsnt:NotificationMessage`.

use std::time::Duration;

use super::values::format_datetime;
use super::writer::XmlWriter;

/// `tt:Message/@PropertyOperation`: what happened to a property.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PropertyOperation {
    /// The property exists at subscription time (initial state).
    Initialized,
    /// The property changed.
    Changed,
    /// The property went away.
    Deleted,
}

impl PropertyOperation {
    /// The attribute value.
    pub fn as_str(self) -> &'static str {
        match self {
            PropertyOperation::Initialized => "Initialized",
            PropertyOperation::Changed => "Changed",
            PropertyOperation::Deleted => "Deleted",
        }
    }
}

/// One event: a topic and a `tt:Message` of simple items.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notification {
    /// The topic in the `tns1:` dialect with the response prefixes,
    /// e.g. `tns1:VideoSource/MotionAlarm`, `tns1:Media/ProfileChanged`.
    pub topic: String,
    /// When it happened, device Unix time.
    pub utc_time: Duration,
    /// For property events.
    pub operation: Option<PropertyOperation>,
    /// `tt:Source` simple items, `(Name, Value)`.
    pub source: Vec<(String, String)>,
    /// `tt:Key` simple items.
    pub key: Vec<(String, String)>,
    /// `tt:Data` simple items.
    pub data: Vec<(String, String)>,
}

impl Notification {
    /// A notification with no items.
    pub fn new(topic: impl Into<String>, utc_time: Duration) -> Notification {
        Notification {
            topic: topic.into(),
            utc_time,
            operation: None,
            source: Vec::new(),
            key: Vec::new(),
            data: Vec::new(),
        }
    }

    /// Writes the `tt:Message` element (the content of `wsnt:Message`).
    pub fn write_message(&self, w: &mut XmlWriter) {
        w.start("tt:Message")
            .attr("UtcTime", &format_datetime(self.utc_time));
        if let Some(op) = self.operation {
            w.attr("PropertyOperation", op.as_str());
        }
        for (element, items) in [
            ("tt:Source", &self.source),
            ("tt:Key", &self.key),
            ("tt:Data", &self.data),
        ] {
            if items.is_empty() {
                continue;
            }
            w.elem(element, |w| {
                for (name, value) in items {
                    w.start("tt:SimpleItem")
                        .attr("Name", name)
                        .attr("Value", value)
                        .end();
                }
            });
        }
        w.end();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_shape() {
        let mut n = Notification::new("tns1:VideoSource/MotionAlarm", Duration::from_secs(0));
        n.operation = Some(PropertyOperation::Changed);
        n.source
            .push(("Source".into(), "VideoSourceToken_1".into()));
        n.data.push(("State".into(), "true".into()));
        let mut w = XmlWriter::new();
        n.write_message(&mut w);
        assert_eq!(
            w.finish(),
            "<tt:Message UtcTime=\"1970-01-01T00:00:00Z\" PropertyOperation=\"Changed\">\
             <tt:Source><tt:SimpleItem Name=\"Source\" Value=\"VideoSourceToken_1\"/></tt:Source>\
             <tt:Data><tt:SimpleItem Name=\"State\" Value=\"true\"/></tt:Data></tt:Message>"
        );
    }
}
