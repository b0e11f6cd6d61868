//! The device management service (`tds`, ver10 device WSDL).

use super::OnvifContext;
use crate::onvif::{Registry, RegistryError};

/// Registers the device service's operations.
pub fn register(_registry: &mut Registry<OnvifContext>) -> Result<(), RegistryError> {
    Ok(())
}
