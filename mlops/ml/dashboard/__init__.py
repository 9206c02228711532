"""Dashboard warning-light recognition: candidate boxes from image analysis, named by a small CNN.

Training lives in ``mlops.ml.dashboard.train`` (imported on demand: it pulls in the synthetic-data code).
"""

from __future__ import annotations

from mlops.ml.dashboard.imaging import MAX_PIXELS, open_image
from mlops.ml.dashboard.recognizer import DashboardRecognizer, LightDetection

__all__ = ["MAX_PIXELS", "DashboardRecognizer", "LightDetection", "open_image"]
