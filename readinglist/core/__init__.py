"""The Qt-free core: papers, their identity, the crash-safe store, the library, importing and exporting."""
