//! The event service (`tev`, ver10 events WSDL, WS-BaseNotification).

use super::OnvifContext;
use crate::onvif::{Registry, RegistryError};

/// Subscriptions, pull points and their pending messages.
#[derive(Debug, Default)]
pub struct EventState {}

/// Registers the event service's operations.
pub fn register(_registry: &mut Registry<OnvifContext>) -> Result<(), RegistryError> {
    Ok(())
}
