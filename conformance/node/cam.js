// The npm `onvif` client (agsh/onvif) connecting to a device as an NVR
// plugin would: connect() (GetSystemDateAndTime, GetCapabilities,
// GetVideoSources, GetProfiles ...), GetStreamUri and GetSnapshotUri.
// Usage: node cam.js HOST PORT USER PASSWORD; prints one JSON line.
const { Cam } = require('onvif');
const [host, port, username, password] = process.argv.slice(2);
new Cam({ hostname: host, port: Number(port), username, password, timeout: 15000 }, function (err) {
  if (err) { console.log(JSON.stringify({ error: String(err) })); process.exit(2); }
  const cam = this;
  cam.getStreamUri({ protocol: 'RTSP' }, (err, stream) => {
    if (err) { console.log(JSON.stringify({ error: String(err) })); process.exit(2); }
    cam.getSnapshotUri({}, (err2, snap) => {
      console.log(JSON.stringify({
        profiles: cam.profiles.map(p => p.$.token),
        uri: stream.uri,
        snapshot: snap && snap.uri,
        info: cam.deviceInformation || null,
      }));
    });
  });
});
