//! The topic set the device announces (GetEventProperties) and the
//! dialects it understands.
//!
//! Topics are in the ONVIF topic namespace (`tns1:`,
//! `http://www.onvif.org/ver10/topics`) and are written as paths below it,
//! e.g. `VideoSource/MotionAlarm`. Each has a `tt:MessageDescription`: the
//! `Source`, `Key` and `Data` simple items its messages carry and whether
//! it is a property (properties have a state that subscribers first learn
//! through an `Initialized` message).

use crate::onvif::XmlWriter;
use crate::onvif_state::DeviceState;

/// `wsnt:TopicExpression/@Dialect` of ONVIF's concrete topic sets
/// (`tns1:A/B|tns1:C//.`), also used for `wsnt:Topic` in notifications.
pub const DIALECT_CONCRETE_SET: &str = "http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet";

/// WS-Topics concrete topic expressions (one topic path).
pub const DIALECT_CONCRETE: &str = "http://docs.oasis-open.org/wsn/t-1/TopicExpression/Concrete";

/// WS-Topics simple topic expressions (a root topic).
pub const DIALECT_SIMPLE: &str = "http://docs.oasis-open.org/wsn/t-1/TopicExpression/Simple";

/// WS-Topics full topic expressions; accepted with the concrete-set
/// grammar (the subset of XPath clients send).
pub const DIALECT_FULL: &str = "http://docs.oasis-open.org/wsn/t-1/TopicExpression/Full";

/// The ONVIF message content filter dialect (`boolean(//tt:SimpleItem[...])`).
pub const DIALECT_ITEM_FILTER: &str =
    "http://www.onvif.org/ver10/tev/messageContentFilter/ItemFilter";

/// Where the ONVIF topic namespace is described.
pub const TOPIC_NAMESPACE_LOCATION: &str = "http://www.onvif.org/onvif/ver10/topics/topicns.xml";

/// Where the schema of the message contents is.
pub const MESSAGE_CONTENT_SCHEMA_LOCATION: &str =
    "http://www.onvif.org/onvif/ver10/schema/onvif.xsd";

/// One topic of the topic set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TopicInfo {
    /// The path below `tns1:`, e.g. `VideoSource/MotionAlarm`.
    pub path: &'static str,
    /// Whether its messages describe a property (with an `Initialized`
    /// state sent to new subscribers).
    pub property: bool,
    /// `tt:Source` items: `(Name, Type)`.
    pub source: &'static [(&'static str, &'static str)],
    /// `tt:Data` items: `(Name, Type)`.
    pub data: &'static [(&'static str, &'static str)],
}

impl TopicInfo {
    /// The topic with the response prefix: `tns1:VideoSource/MotionAlarm`.
    pub fn qualified(&self) -> String {
        format!("tns1:{}", self.path)
    }
}

/// `tns1:VideoSource/MotionAlarm`: motion on a video source.
pub const MOTION_ALARM: TopicInfo = TopicInfo {
    path: "VideoSource/MotionAlarm",
    property: true,
    source: &[("Source", "tt:ReferenceToken")],
    data: &[("State", "xs:boolean")],
};

/// `tns1:RuleEngine/CellMotionDetector/Motion`: the cell motion rule.
pub const CELL_MOTION: TopicInfo = TopicInfo {
    path: "RuleEngine/CellMotionDetector/Motion",
    property: true,
    source: &[
        ("VideoSourceConfigurationToken", "tt:ReferenceToken"),
        ("VideoAnalyticsConfigurationToken", "tt:ReferenceToken"),
        ("Rule", "xs:string"),
    ],
    data: &[("IsMotion", "xs:boolean")],
};

/// `tns1:VideoSource/ImageTooBlurry/ImagingService` (tampering).
pub const IMAGE_TOO_BLURRY: TopicInfo = TopicInfo {
    path: "VideoSource/ImageTooBlurry/ImagingService",
    property: true,
    source: &[("Source", "tt:ReferenceToken")],
    data: &[("State", "xs:boolean")],
};

/// `tns1:VideoSource/ImageTooDark/ImagingService` (tampering).
pub const IMAGE_TOO_DARK: TopicInfo = TopicInfo {
    path: "VideoSource/ImageTooDark/ImagingService",
    ..IMAGE_TOO_BLURRY
};

/// `tns1:VideoSource/ImageTooBright/ImagingService` (tampering).
pub const IMAGE_TOO_BRIGHT: TopicInfo = TopicInfo {
    path: "VideoSource/ImageTooBright/ImagingService",
    ..IMAGE_TOO_BLURRY
};

/// `tns1:VideoSource/GlobalSceneChange/ImagingService` (tampering).
pub const GLOBAL_SCENE_CHANGE: TopicInfo = TopicInfo {
    path: "VideoSource/GlobalSceneChange/ImagingService",
    ..IMAGE_TOO_BLURRY
};

/// The four tampering topics.
pub const TAMPERING: [TopicInfo; 4] = [
    IMAGE_TOO_BLURRY,
    IMAGE_TOO_DARK,
    IMAGE_TOO_BRIGHT,
    GLOBAL_SCENE_CHANGE,
];

/// `tns1:Media/ProfileChanged`: a media profile changed (Media2).
pub const PROFILE_CHANGED: TopicInfo = TopicInfo {
    path: "Media/ProfileChanged",
    property: false,
    source: &[],
    data: &[("Token", "tt:ReferenceToken")],
};

/// `tns1:Media/ConfigurationChanged`: a media configuration changed (Media2).
pub const CONFIGURATION_CHANGED: TopicInfo = TopicInfo {
    path: "Media/ConfigurationChanged",
    property: false,
    source: &[("Token", "tt:ReferenceToken")],
    data: &[("Type", "xs:string")],
};

/// `tns1:Device/Trigger/Relay`: a relay output's logical state.
pub const RELAY: TopicInfo = TopicInfo {
    path: "Device/Trigger/Relay",
    property: true,
    source: &[("RelayToken", "tt:ReferenceToken")],
    data: &[("LogicalState", "tt:RelayLogicalState")],
};

/// Every topic the device may publish, relays included.
pub const ALL_TOPICS: [TopicInfo; 9] = [
    MOTION_ALARM,
    IMAGE_TOO_BLURRY,
    IMAGE_TOO_DARK,
    IMAGE_TOO_BRIGHT,
    GLOBAL_SCENE_CHANGE,
    CELL_MOTION,
    PROFILE_CHANGED,
    CONFIGURATION_CHANGED,
    RELAY,
];

/// The topic whose qualified form (`tns1:...`) is `topic`.
pub fn find(topic: &str) -> Option<&'static TopicInfo> {
    let path = topic.strip_prefix("tns1:")?;
    ALL_TOPICS.iter().find(|t| t.path == path)
}

/// The topics announced for this state: relays only when there are some.
pub fn announced(state: &DeviceState) -> impl Iterator<Item = &'static TopicInfo> + '_ {
    ALL_TOPICS
        .iter()
        .filter(move |t| t.path != RELAY.path || !state.relay_outputs().is_empty())
}

/// Writes the `wstop:TopicSet` of `topics`: a tree of elements, the roots
/// in `tns1:` and the levels below unqualified (as Axis devices write it),
/// each topic marked `wstop:topic="true"` with its `tt:MessageDescription`.
pub fn write_topic_set<'a>(w: &mut XmlWriter, topics: impl Iterator<Item = &'a TopicInfo>) {
    // Group into a tree, keeping first-seen order.
    #[derive(Default)]
    struct Node<'a> {
        name: &'a str,
        topic: Option<&'a TopicInfo>,
        children: Vec<Node<'a>>,
    }
    fn insert<'a>(node: &mut Node<'a>, path: &[&'a str], topic: &'a TopicInfo) {
        let Some((first, rest)) = path.split_first() else {
            node.topic = Some(topic);
            return;
        };
        let index = match node.children.iter().position(|c| c.name == *first) {
            Some(i) => i,
            None => {
                node.children.push(Node {
                    name: first,
                    ..Node::default()
                });
                node.children.len() - 1
            }
        };
        if let Some(child) = node.children.get_mut(index) {
            insert(child, rest, topic);
        }
    }
    fn write(w: &mut XmlWriter, node: &Node<'_>, root: bool) {
        let name = if root {
            format!("tns1:{}", node.name)
        } else {
            node.name.to_owned()
        };
        w.start(&name);
        if let Some(topic) = node.topic {
            w.attr("wstop:topic", "true");
            write_description(w, topic);
        }
        for child in &node.children {
            write(w, child, false);
        }
        w.end();
    }
    let mut tree = Node::default();
    for topic in topics {
        let path: Vec<&str> = topic.path.split('/').collect();
        insert(&mut tree, &path, topic);
    }
    w.elem("wstop:TopicSet", |w| {
        for root in &tree.children {
            write(w, root, true);
        }
    });
}

/// Writes a topic's `tt:MessageDescription`.
fn write_description(w: &mut XmlWriter, topic: &TopicInfo) {
    w.start("tt:MessageDescription")
        .attr("IsProperty", if topic.property { "true" } else { "false" });
    for (element, items) in [("tt:Source", topic.source), ("tt:Data", topic.data)] {
        if items.is_empty() {
            continue;
        }
        w.elem(element, |w| {
            for (name, ty) in items {
                w.start("tt:SimpleItemDescription")
                    .attr("Name", name)
                    .attr("Type", ty)
                    .end();
            }
        });
    }
    w.end();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_tree_groups_shared_roots() {
        let mut w = XmlWriter::new();
        write_topic_set(&mut w, [MOTION_ALARM, IMAGE_TOO_DARK, RELAY].iter());
        let xml = w.finish();
        assert!(xml.starts_with("<wstop:TopicSet><tns1:VideoSource><MotionAlarm wstop:topic=\"true\"><tt:MessageDescription IsProperty=\"true\"><tt:Source><tt:SimpleItemDescription Name=\"Source\" Type=\"tt:ReferenceToken\"/></tt:Source>"), "{xml}");
        assert!(xml.contains("</MotionAlarm><ImageTooDark><ImagingService wstop:topic=\"true\">"));
        assert!(
            xml.contains("</tns1:VideoSource><tns1:Device><Trigger><Relay wstop:topic=\"true\">")
        );
        assert_eq!(xml.matches("<tns1:VideoSource>").count(), 1);
        assert_eq!(find("tns1:Media/ProfileChanged"), Some(&PROFILE_CHANGED));
        assert_eq!(find("Media/ProfileChanged"), None);
        assert_eq!(MOTION_ALARM.qualified(), "tns1:VideoSource/MotionAlarm");
    }
}
