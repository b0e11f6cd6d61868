//! `-l device|videodevice|audiodevice|window|screen`: what the device stream
//! names refer to, in the manual's format (chapter 3):
//!
//! ```text
//! Available video capture device :
//! index : 0, name : FaceTime HD Camera (Built-in)
//! ```

use std::process::ExitCode;

use crate::cli::ListKind;

/// Prints the list `kind` names; exit code 1 when it cannot be made (no X
/// display for windows and monitors, GStreamer not usable for devices).
pub fn run(kind: ListKind) -> ExitCode {
    let result = match kind {
        ListKind::Device => devices(true, true),
        ListKind::Videodevice => devices(true, false),
        ListKind::Audiodevice => devices(false, true),
        ListKind::Window => onvif_rtsp_media::list_windows()
            .map(|titles| {
                println!("Available window name :");
                for title in titles {
                    println!("{title}");
                }
            })
            .map_err(|e| format!("cannot list windows: {}", reason(&e))),
        ListKind::Screen => onvif_rtsp_media::list_monitors()
            .map(|monitors| {
                println!("Available monitor :");
                print_indexed(&monitors);
            })
            .map_err(|e| format!("cannot list monitors: {}", reason(&e))),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("onvif-rtsp-server: {message}");
            ExitCode::FAILURE
        }
    }
}

fn devices(video: bool, audio: bool) -> Result<(), String> {
    if video {
        let names = onvif_rtsp_media::list_video_devices().map_err(|e| e.to_string())?;
        println!("Available video capture device :");
        print_indexed(&names);
    }
    if video && audio {
        println!();
    }
    if audio {
        let names = onvif_rtsp_media::list_audio_devices().map_err(|e| e.to_string())?;
        println!("Available audio capture device :");
        print_indexed(&names);
    }
    Ok(())
}

fn print_indexed(names: &[String]) {
    for (index, name) in names.iter().enumerate() {
        println!("index : {index}, name : {name}");
    }
}

/// The message of a source error without its "not found: " prefix.
fn reason(error: &onvif_rtsp_core::media::SourceError) -> String {
    match error {
        onvif_rtsp_core::media::SourceError::NotFound(m)
        | onvif_rtsp_core::media::SourceError::Unsupported(m)
        | onvif_rtsp_core::media::SourceError::Failed(m) => m.clone(),
        other => other.to_string(),
    }
}
