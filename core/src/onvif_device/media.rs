//! The media service (`trt`, ver10 media WSDL).

use super::OnvifContext;
use crate::onvif::{Registry, RegistryError};

/// Registers the media service's operations.
pub fn register(_registry: &mut Registry<OnvifContext>) -> Result<(), RegistryError> {
    Ok(())
}
