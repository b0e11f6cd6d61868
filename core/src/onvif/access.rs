//! User levels and ONVIF access classes, with the default access policy of
//! the ONVIF Core specification (section "Default Access Policy").
//!
//! Every operation declares the access class it needs; every user has a
//! level; the policy says which levels may use which classes:
//!
//! | class                   | Administrator | Operator | User | Anonymous |
//! |-------------------------|:-------------:|:--------:|:----:|:---------:|
//! | `PRE_AUTH`              | x             | x        | x    | x         |
//! | `READ_SYSTEM`           | x             | x        | x    |           |
//! | `READ_SYSTEM_SENSITIVE` | x             | x        |      |           |
//! | `READ_SYSTEM_SECRET`    | x             |          |      |           |
//! | `WRITE_SYSTEM`          | x             |          |      |           |
//! | `UNRECOVERABLE`         | x             |          |      |           |
//! | `READ_MEDIA`            | x             | x        | x    |           |
//! | `ACTUATE`               | x             | x        |      |           |

/// A user's level, as in `onvif.cfg` `<userlevel>` and `tt:UserLevel`,
/// most privileged first. Administrator is the default, as in Happytime
/// when `<userlevel>` is empty.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum UserLevel {
    /// Full control.
    #[default]
    Administrator,
    /// Operates the device (media, PTZ, relays), cannot change the system.
    Operator,
    /// Reads media and non-sensitive system information.
    User,
    /// No rights beyond `PRE_AUTH`; also what an unauthenticated client is.
    Anonymous,
}

impl UserLevel {
    /// All levels, most privileged first.
    pub const ALL: [UserLevel; 4] = [
        UserLevel::Administrator,
        UserLevel::Operator,
        UserLevel::User,
        UserLevel::Anonymous,
    ];

    /// Parses a level name, case-insensitively (`Administrator`, `admin`
    /// is not accepted: the manual spells the four names out).
    pub fn parse(s: &str) -> Option<UserLevel> {
        let s = s.trim();
        Self::ALL
            .into_iter()
            .find(|l| l.as_str().eq_ignore_ascii_case(s))
    }

    /// The `tt:UserLevel` value.
    pub fn as_str(self) -> &'static str {
        match self {
            UserLevel::Administrator => "Administrator",
            UserLevel::Operator => "Operator",
            UserLevel::User => "User",
            UserLevel::Anonymous => "Anonymous",
        }
    }

    /// Whether the default access policy lets this level use `class`.
    pub fn allows(self, class: AccessClass) -> bool {
        use AccessClass::*;
        match self {
            UserLevel::Administrator => true,
            UserLevel::Operator => matches!(
                class,
                PreAuth | ReadSystem | ReadSystemSensitive | ReadMedia | Actuate
            ),
            UserLevel::User => matches!(class, PreAuth | ReadSystem | ReadMedia),
            UserLevel::Anonymous => class == PreAuth,
        }
    }
}

/// The access class of an operation (ONVIF Core, "Access classes for
/// service requests").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AccessClass {
    /// Needs no authentication: GetSystemDateAndTime, GetServices,
    /// GetCapabilities, GetWsdlUrl, GetServiceCapabilities, GetHostname,
    /// GetEndpointReference. Clients call these before they can
    /// authenticate (to learn the device clock, for one).
    PreAuth,
    /// Reads non-sensitive configuration.
    ReadSystem,
    /// Reads sensitive configuration (network, users without passwords).
    ReadSystemSensitive,
    /// Reads secrets (the user list, keys).
    ReadSystemSecret,
    /// Changes configuration.
    WriteSystem,
    /// Cannot be undone (factory default, firmware upgrade).
    Unrecoverable,
    /// Reads media configuration and streams.
    ReadMedia,
    /// Moves or triggers something (PTZ, relays, imaging focus).
    Actuate,
}

impl AccessClass {
    /// The spec's name of the class (`READ_SYSTEM`...), for logs.
    pub fn as_str(self) -> &'static str {
        match self {
            AccessClass::PreAuth => "PRE_AUTH",
            AccessClass::ReadSystem => "READ_SYSTEM",
            AccessClass::ReadSystemSensitive => "READ_SYSTEM_SENSITIVE",
            AccessClass::ReadSystemSecret => "READ_SYSTEM_SECRET",
            AccessClass::WriteSystem => "WRITE_SYSTEM",
            AccessClass::Unrecoverable => "UNRECOVERABLE",
            AccessClass::ReadMedia => "READ_MEDIA",
            AccessClass::Actuate => "ACTUATE",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_policy() {
        use AccessClass::*;
        let all = [
            PreAuth,
            ReadSystem,
            ReadSystemSensitive,
            ReadSystemSecret,
            WriteSystem,
            Unrecoverable,
            ReadMedia,
            Actuate,
        ];
        let allowed = |l: UserLevel| all.iter().filter(|c| l.allows(**c)).count();
        assert_eq!(allowed(UserLevel::Administrator), 8);
        assert_eq!(allowed(UserLevel::Operator), 5);
        assert_eq!(allowed(UserLevel::User), 3);
        assert_eq!(allowed(UserLevel::Anonymous), 1);
        assert!(!UserLevel::Operator.allows(WriteSystem));
        assert!(UserLevel::Operator.allows(Actuate));
        assert!(!UserLevel::User.allows(Actuate));
        assert!(!UserLevel::User.allows(ReadSystemSensitive));
        assert_eq!(UserLevel::parse(" operator "), Some(UserLevel::Operator));
        assert_eq!(UserLevel::parse("root"), None);
    }
}
