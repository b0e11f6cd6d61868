//! The media2 service (`tr2`, ver20 media WSDL).

use super::OnvifContext;
use crate::onvif::{Registry, RegistryError};

/// Registers the media2 service's operations.
pub fn register(_registry: &mut Registry<OnvifContext>) -> Result<(), RegistryError> {
    Ok(())
}
