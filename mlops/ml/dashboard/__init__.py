"""Dashboard warning-light recognition: candidate boxes from image analysis, named by a CNN.

Training lives in ``mlops.ml.dashboard.train`` (imported on demand: it pulls in the synthetic-data code).
"""

from __future__ import annotations

from mlops.ml.dashboard.imaging import MAX_PIXELS, ImageHeader, Photo, open_image, open_photo, read_header
from mlops.ml.dashboard.recognizer import DashboardRecognizer, LightDetection

__all__ = [
    "MAX_PIXELS",
    "DashboardRecognizer",
    "ImageHeader",
    "LightDetection",
    "Photo",
    "open_image",
    "open_photo",
    "read_header",
]
