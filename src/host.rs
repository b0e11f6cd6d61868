//! Facts about the host for the ONVIF device: its name and its network
//! interfaces with their hardware addresses.

use std::path::Path;

use onvif_rtsp_core::onvif_device::{HostInfo, HostInterface};

/// Reads the host name and interfaces. Loopback is left out unless it is
/// the only interface (a test machine or a container without network).
pub fn host_info() -> HostInfo {
    let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|_| "onvif-rtsp-server".to_owned());
    let mut interfaces: Vec<HostInterface> = Vec::new();
    for addr in if_addrs::get_if_addrs().unwrap_or_default() {
        let entry = match interfaces.iter_mut().position(|i| i.name == addr.name) {
            Some(i) => &mut interfaces[i],
            None => {
                interfaces.push(describe(&addr.name));
                let last = interfaces.len() - 1;
                &mut interfaces[last]
            }
        };
        match addr.addr {
            if_addrs::IfAddr::V4(v4) => entry.ipv4.push((v4.ip, prefix_len(&v4.netmask.octets()))),
            if_addrs::IfAddr::V6(v6) => entry.ipv6.push((v6.ip, prefix_len(&v6.netmask.octets()))),
        }
    }
    if interfaces.iter().any(|i| i.name != "lo") {
        interfaces.retain(|i| i.name != "lo");
    }
    HostInfo {
        hostname,
        interfaces,
    }
}

fn describe(name: &str) -> HostInterface {
    let sys = Path::new("/sys/class/net").join(name);
    let read = |file: &str| std::fs::read_to_string(sys.join(file)).unwrap_or_default();
    HostInterface {
        name: name.to_owned(),
        mac: parse_mac(read("address").trim()).unwrap_or_default(),
        mtu: read("mtu").trim().parse().unwrap_or(1500),
        up: matches!(read("operstate").trim(), "up" | "unknown"),
        ipv4: Vec::new(),
        ipv6: Vec::new(),
    }
}

fn parse_mac(text: &str) -> Option<[u8; 6]> {
    let mut mac = [0u8; 6];
    let mut parts = text.split(':');
    for byte in &mut mac {
        *byte = u8::from_str_radix(parts.next()?, 16).ok()?;
    }
    parts.next().is_none().then_some(mac)
}

fn prefix_len(mask: &[u8]) -> u8 {
    mask.iter().map(|b| b.count_ones() as u8).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macs_and_masks() {
        assert_eq!(
            parse_mac("02:42:ac:11:00:02"),
            Some([2, 0x42, 0xac, 0x11, 0, 2])
        );
        assert_eq!(parse_mac("02:42"), None);
        assert_eq!(prefix_len(&[255, 255, 255, 0]), 24);
    }

    #[test]
    fn this_host_has_a_name_and_an_interface() {
        let h = host_info();
        assert!(!h.hostname.is_empty());
        assert!(!h.interfaces.is_empty());
    }
}
