"""Online detection: one small detector per module, wired to rooms by ``monitor``."""

from livemon.detect.adapter_down import AdapterDownDetector
from livemon.detect.base import Detector
from livemon.detect.behind_target import BehindTargetDetector
from livemon.detect.comment_surge import CommentSurgeDetector
from livemon.detect.conversion_drop import ConversionDropDetector
from livemon.detect.lifecycle import AlertBook, alert_id
from livemon.detect.monitor import Monitor, RoomMonitor
from livemon.detect.oversell import OversellDetector
from livemon.detect.stock_low import StockLowDetector
from livemon.detect.stock_out import StockOutDetector
from livemon.detect.tech_issue import TechIssueDetector
from livemon.detect.viewer_drop import ViewerDropDetector

DETECTORS: tuple[type[Detector], ...] = (
    ConversionDropDetector, ViewerDropDetector, StockLowDetector, StockOutDetector,
    OversellDetector, CommentSurgeDetector, TechIssueDetector, AdapterDownDetector,
    BehindTargetDetector,
)  # fmt: skip

__all__ = [
    "DETECTORS", "AdapterDownDetector", "AlertBook", "BehindTargetDetector", "CommentSurgeDetector",
    "ConversionDropDetector", "Detector", "Monitor", "OversellDetector", "RoomMonitor",
    "StockLowDetector", "StockOutDetector", "TechIssueDetector", "ViewerDropDetector", "alert_id",
]  # fmt: skip
