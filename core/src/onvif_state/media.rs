//! Changes made through the Media and Media2 services: profiles, their
//! configurations, OSDs.

use super::options::{check_multicast, check_osd, clean_name};
use super::types::{
    AudioEncoderConfiguration, AudioSourceConfiguration, ConfigurationKind, MetadataConfiguration,
    Osd, Profile, TokenKind, VideoEncoderConfiguration, VideoSourceConfiguration,
};
use super::{DeviceState, MAX_OSDS, StateError, validate};
use crate::config::{MAX_PROFILES, SESSION_TIMEOUT_RANGE};

impl DeviceState {
    /// CreateProfile: an empty, deletable profile called `name`, with the
    /// client's `token` or the next `ProfileToken_N`. Returns the token.
    pub fn create_profile(
        &mut self,
        name: &str,
        token: Option<&str>,
    ) -> Result<String, StateError> {
        let name = clean_name(name).map_err(|_| {
            StateError::InvalidArgument("profile name too long or with control characters".into())
        })?;
        let token = match token.map(str::trim).filter(|t| !t.is_empty()) {
            Some(token) => {
                validate::check_token(token)
                    .map_err(|why| StateError::InvalidArgument(format!("profile token: {why}")))?;
                if self.profile(token).is_some() {
                    return Err(StateError::ProfileExists(token.to_owned()));
                }
                token.to_owned()
            }
            None => {
                TokenKind::Profile
                    .next_token(self.profiles.iter().map(|p| p.token.as_str()))
                    .0
            }
        };
        if self.profiles.len() >= MAX_PROFILES {
            return Err(StateError::MaxProfiles);
        }
        self.profiles.push(Profile {
            token: token.clone(),
            name,
            fixed: false,
            video_source_configuration: None,
            video_encoder_configuration: None,
            audio_source_configuration: None,
            audio_encoder_configuration: None,
            metadata_configuration: None,
            stream_uri: None,
            append_params: false,
        });
        Ok(token)
    }

    /// DeleteProfile; fixed profiles (those of `onvif.cfg`) cannot be
    /// deleted. Returns the deleted profile.
    pub fn delete_profile(&mut self, token: &str) -> Result<Profile, StateError> {
        let index = self.profile_index(token)?;
        if self.profiles[index].fixed {
            return Err(StateError::DeletionOfFixedProfile(token.to_owned()));
        }
        self.multicast_streaming.retain(|t| t != token);
        Ok(self.profiles.remove(index))
    }

    /// Renames a profile (Media2 AddConfiguration with a `Name`).
    pub fn rename_profile(&mut self, token: &str, name: &str) -> Result<(), StateError> {
        let index = self.profile_index(token)?;
        let name = clean_name(name).map_err(|_| {
            StateError::InvalidArgument("profile name too long or with control characters".into())
        })?;
        self.profiles[index].name = name;
        Ok(())
    }

    /// StartMulticastStreaming / StopMulticastStreaming: marks the
    /// profile's multicast stream as started (or not). Runtime only: the
    /// flag is not persisted and a deleted profile loses it.
    pub fn set_multicast_streaming(
        &mut self,
        profile_token: &str,
        started: bool,
    ) -> Result<(), StateError> {
        self.profile_index(profile_token)?;
        self.multicast_streaming.retain(|t| t != profile_token);
        if started {
            self.multicast_streaming.push(profile_token.to_owned());
        }
        Ok(())
    }

    /// Whether StartMulticastStreaming started the profile's multicast
    /// stream (and StopMulticastStreaming has not stopped it since).
    pub fn multicast_streaming(&self, profile_token: &str) -> bool {
        self.multicast_streaming.iter().any(|t| t == profile_token)
    }

    /// Add*Configuration / Media2 AddConfiguration: puts the configuration
    /// `config_token` of `kind` into the profile, replacing the one there.
    pub fn add_configuration(
        &mut self,
        profile_token: &str,
        kind: ConfigurationKind,
        config_token: &str,
    ) -> Result<(), StateError> {
        let index = self.profile_index(profile_token)?;
        if !self.configuration_exists(kind, config_token) {
            return Err(StateError::NoConfig(config_token.to_owned()));
        }
        *self.profiles[index].slot_mut(kind) = Some(config_token.to_owned());
        if kind == ConfigurationKind::VideoEncoder || kind == ConfigurationKind::VideoSource {
            self.update_source_framerates();
        }
        Ok(())
    }

    /// Remove*Configuration / Media2 RemoveConfiguration: takes the
    /// configuration of `kind` out of the profile (nothing when it has none).
    pub fn remove_configuration(
        &mut self,
        profile_token: &str,
        kind: ConfigurationKind,
    ) -> Result<(), StateError> {
        let index = self.profile_index(profile_token)?;
        *self.profiles[index].slot_mut(kind) = None;
        Ok(())
    }

    /// The tokens of the configurations of `kind`, in order.
    pub fn configuration_tokens(&self, kind: ConfigurationKind) -> Vec<&str> {
        match kind {
            ConfigurationKind::VideoSource => self
                .video_source_configurations
                .iter()
                .map(|c| c.token.as_str())
                .collect(),
            ConfigurationKind::VideoEncoder => self
                .video_encoder_configurations
                .iter()
                .map(|c| c.token.as_str())
                .collect(),
            ConfigurationKind::AudioSource => self
                .audio_source_configurations
                .iter()
                .map(|c| c.token.as_str())
                .collect(),
            ConfigurationKind::AudioEncoder => self
                .audio_encoder_configurations
                .iter()
                .map(|c| c.token.as_str())
                .collect(),
            ConfigurationKind::Metadata => self
                .metadata_configurations
                .iter()
                .map(|c| c.token.as_str())
                .collect(),
        }
    }

    /// Whether a configuration of `kind` has this token.
    pub fn configuration_exists(&self, kind: ConfigurationKind, token: &str) -> bool {
        self.configuration_tokens(kind).contains(&token)
    }

    /// GetCompatible*Configurations: every configuration of `kind` fits
    /// every profile on this device.
    pub fn compatible_configurations(
        &self,
        profile_token: &str,
        kind: ConfigurationKind,
    ) -> Result<Vec<&str>, StateError> {
        self.profile_index(profile_token)?;
        Ok(self.configuration_tokens(kind))
    }

    /// How many profiles use the configuration (ONVIF `UseCount`).
    pub fn use_count(&self, kind: ConfigurationKind, token: &str) -> u32 {
        let count = self
            .profiles
            .iter()
            .filter(|p| p.configuration(kind) == Some(token))
            .count();
        u32::try_from(count).unwrap_or(u32::MAX)
    }

    /// The tokens of the profiles that use the configuration (for
    /// ConfigurationChanged and ProfileChanged events).
    pub fn profiles_using(&self, kind: ConfigurationKind, token: &str) -> Vec<&str> {
        self.profiles
            .iter()
            .filter(|p| p.configuration(kind) == Some(token))
            .map(|p| p.token.as_str())
            .collect()
    }

    /// SetVideoSourceConfiguration: the name, source and bounds (inside the
    /// source) of an existing configuration.
    pub fn set_video_source_configuration(
        &mut self,
        config: VideoSourceConfiguration,
    ) -> Result<(), StateError> {
        let index = self
            .video_source_configurations
            .iter()
            .position(|c| c.token == config.token)
            .ok_or_else(|| StateError::NoConfig(config.token.clone()))?;
        let name = clean_name(&config.name)?;
        let source = self.video_source(&config.source_token).ok_or_else(|| {
            StateError::ConfigModify(format!("no video source {:?}", config.source_token))
        })?;
        let bounds = config.bounds;
        let fits = bounds.width > 0
            && bounds.height > 0
            && u64::from(bounds.x) + u64::from(bounds.width) <= u64::from(source.resolution.width)
            && u64::from(bounds.y) + u64::from(bounds.height)
                <= u64::from(source.resolution.height);
        if !fits {
            return Err(StateError::ConfigModify(format!(
                "bounds {}x{} at {},{} do not fit the {} source",
                bounds.width, bounds.height, bounds.x, bounds.y, source.resolution
            )));
        }
        self.video_source_configurations[index] = VideoSourceConfiguration { name, ..config };
        self.update_source_framerates();
        Ok(())
    }

    /// SetVideoEncoderConfiguration: refuses settings outside the advertised
    /// options ([`DeviceState::video_encoder_options`]) with
    /// [`StateError::ConfigModify`].
    pub fn set_video_encoder_configuration(
        &mut self,
        config: VideoEncoderConfiguration,
    ) -> Result<(), StateError> {
        let index = self
            .video_encoder_configurations
            .iter()
            .position(|c| c.token == config.token)
            .ok_or_else(|| StateError::NoConfig(config.token.clone()))?;
        let name = clean_name(&config.name)?;
        self.check_video_encoder_settings(&config.settings)?;
        check_multicast(&config.multicast)?;
        self.video_encoder_configurations[index] = VideoEncoderConfiguration { name, ..config };
        self.update_source_framerates();
        Ok(())
    }

    /// SetAudioSourceConfiguration: the name and source of an existing
    /// configuration.
    pub fn set_audio_source_configuration(
        &mut self,
        config: AudioSourceConfiguration,
    ) -> Result<(), StateError> {
        let index = self
            .audio_source_configurations
            .iter()
            .position(|c| c.token == config.token)
            .ok_or_else(|| StateError::NoConfig(config.token.clone()))?;
        let name = clean_name(&config.name)?;
        if self.audio_source(&config.source_token).is_none() {
            return Err(StateError::ConfigModify(format!(
                "no audio source {:?}",
                config.source_token
            )));
        }
        self.audio_source_configurations[index] = AudioSourceConfiguration { name, ..config };
        Ok(())
    }

    /// SetAudioEncoderConfiguration: refuses settings outside the advertised
    /// options ([`DeviceState::audio_encoder_options`]).
    pub fn set_audio_encoder_configuration(
        &mut self,
        config: AudioEncoderConfiguration,
    ) -> Result<(), StateError> {
        let index = self
            .audio_encoder_configurations
            .iter()
            .position(|c| c.token == config.token)
            .ok_or_else(|| StateError::NoConfig(config.token.clone()))?;
        let name = clean_name(&config.name)?;
        self.check_audio_encoder_settings(&config.settings)?;
        check_multicast(&config.multicast)?;
        self.audio_encoder_configurations[index] = AudioEncoderConfiguration { name, ..config };
        Ok(())
    }

    /// SetMetadataConfiguration.
    pub fn set_metadata_configuration(
        &mut self,
        config: MetadataConfiguration,
    ) -> Result<(), StateError> {
        let index = self
            .metadata_configurations
            .iter()
            .position(|c| c.token == config.token)
            .ok_or_else(|| StateError::NoConfig(config.token.clone()))?;
        let name = clean_name(&config.name)?;
        if !SESSION_TIMEOUT_RANGE.contains(&config.session_timeout) {
            return Err(StateError::ConfigModify(format!(
                "session timeout {} is outside {}-{}",
                config.session_timeout,
                SESSION_TIMEOUT_RANGE.start(),
                SESSION_TIMEOUT_RANGE.end()
            )));
        }
        check_multicast(&config.multicast)?;
        self.metadata_configurations[index] = MetadataConfiguration { name, ..config };
        Ok(())
    }

    /// CreateOSD: `osd` with a new `OSDToken_N` (its token is ignored).
    /// Returns the token.
    pub fn create_osd(&mut self, mut osd: Osd) -> Result<String, StateError> {
        if self.osds.len() >= MAX_OSDS {
            return Err(StateError::MaxOsds);
        }
        self.check_osd_target(&osd)?;
        check_osd(&osd)?;
        let (token, _) = TokenKind::Osd.next_token(self.osds.iter().map(|o| o.token.as_str()));
        osd.token = token.clone();
        self.osds.push(osd);
        Ok(token)
    }

    /// SetOSD: replaces the OSD with `osd.token`.
    pub fn set_osd(&mut self, osd: Osd) -> Result<(), StateError> {
        let index = self
            .osds
            .iter()
            .position(|o| o.token == osd.token)
            .ok_or_else(|| StateError::NoConfig(osd.token.clone()))?;
        self.check_osd_target(&osd)?;
        check_osd(&osd)?;
        self.osds[index] = osd;
        Ok(())
    }

    /// DeleteOSD.
    pub fn delete_osd(&mut self, token: &str) -> Result<Osd, StateError> {
        let index = self
            .osds
            .iter()
            .position(|o| o.token == token)
            .ok_or_else(|| StateError::NoConfig(token.to_owned()))?;
        Ok(self.osds.remove(index))
    }

    fn check_osd_target(&self, osd: &Osd) -> Result<(), StateError> {
        if self
            .video_source_configuration(&osd.video_source_configuration)
            .is_none()
        {
            return Err(StateError::NoConfig(osd.video_source_configuration.clone()));
        }
        Ok(())
    }

    pub(super) fn profile_index(&self, token: &str) -> Result<usize, StateError> {
        self.profiles
            .iter()
            .position(|p| p.token == token)
            .ok_or_else(|| StateError::NoProfile(token.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::OnvifConfig;

    #[test]
    fn profiles_are_renamed_with_checked_names() {
        let mut state = DeviceState::from_config(&OnvifConfig::default(), 1);
        state.rename_profile("ProfileToken_2", "  Sub  ").unwrap();
        assert_eq!(state.profile("ProfileToken_2").unwrap().name, "Sub");
        assert_eq!(
            state.rename_profile("nope", "x"),
            Err(StateError::NoProfile("nope".into()))
        );
        assert!(matches!(
            state.rename_profile("ProfileToken_2", &"n".repeat(65)),
            Err(StateError::InvalidArgument(_))
        ));
        assert_eq!(state.profile("ProfileToken_2").unwrap().name, "Sub");
    }

    #[test]
    fn multicast_streaming_is_a_runtime_flag_per_profile() {
        let mut state = DeviceState::from_config(&OnvifConfig::default(), 1);
        let persisted = state.to_runtime_xml();
        assert!(!state.multicast_streaming("ProfileToken_1"));
        state
            .set_multicast_streaming("ProfileToken_1", true)
            .unwrap();
        state
            .set_multicast_streaming("ProfileToken_1", true)
            .unwrap();
        assert!(state.multicast_streaming("ProfileToken_1"));
        assert!(!state.multicast_streaming("ProfileToken_2"));
        assert_eq!(state.to_runtime_xml(), persisted);
        state
            .set_multicast_streaming("ProfileToken_1", false)
            .unwrap();
        assert!(!state.multicast_streaming("ProfileToken_1"));
        assert_eq!(
            state.set_multicast_streaming("nope", true),
            Err(StateError::NoProfile("nope".into()))
        );
        // A deleted profile takes its flag along.
        let token = state.create_profile("extra", None).unwrap();
        state.set_multicast_streaming(&token, true).unwrap();
        state.delete_profile(&token).unwrap();
        assert!(!state.multicast_streaming(&token));
    }
}
