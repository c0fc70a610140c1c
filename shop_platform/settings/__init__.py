"""The settings model: one frozen dataclass per section of `conf/base.yaml`, one module per concept.

Every key in the YAML files must exist here, with its type; `shop_platform.config` validates against it.
A class may define `problems()` returning `(field, message)` pairs for range and cross-field rules
(`checks` holds the shared ones). The lists of coded values a setting must pick from are in
`shop_platform.vocabulary`; the few re-exported here are the ones importers took from the settings.
"""

from shop_platform.settings.analytics import AnalyticsSettings
from shop_platform.settings.app import AppSettings, LoggingSettings
from shop_platform.settings.campaigns import CampaignEvaluationSettings
from shop_platform.settings.checks import Problems
from shop_platform.settings.generator import (
    CampaignSettings,
    DirtSettings,
    DriftSettings,
    GeneratorSettings,
)
from shop_platform.settings.graph import GraphSettings, PageRankSettings
from shop_platform.settings.ingest import IngestSettings, OrderLineSettings
from shop_platform.settings.lake import LakeSettings
from shop_platform.settings.pii import PiiSettings
from shop_platform.settings.propensity import (
    ChurnRiskBands,
    GbtGrid,
    LogisticRegressionGrid,
    PropensityCandidates,
    PropensitySettings,
)
from shop_platform.settings.recommend import (
    AlsGrid,
    AlsParams,
    BlendSettings,
    BprSettings,
    CooccurrenceSettings,
    InteractionSettings,
    RecommendSettings,
    SeenItemsSettings,
    TrendingSettings,
)
from shop_platform.settings.report import ReportSettings
from shop_platform.settings.root import Config
from shop_platform.settings.segments import LightUserSettings, SegmentLabelSettings, SegmentSettings
from shop_platform.settings.silver import BotSettings, SessionSettings
from shop_platform.settings.spark import SparkSettings
from shop_platform.settings.tags import LifecycleSettings, RfmSettings, TagSettings
from shop_platform.settings.tracking import TrackingSettings
from shop_platform.settings.value import CustomerValueSettings, ValueTier
from shop_platform.vocabulary import (
    BLEND_SOURCES,
    COPURCHASE_EDGE_TYPES,
    ORDER_STATUSES,
    RFM_ALL_HISTORY,
    RFM_WINDOWS,
)

__all__ = [
    "BLEND_SOURCES",
    "COPURCHASE_EDGE_TYPES",
    "ORDER_STATUSES",
    "RFM_ALL_HISTORY",
    "RFM_WINDOWS",
    "AlsGrid",
    "AlsParams",
    "AnalyticsSettings",
    "AppSettings",
    "BlendSettings",
    "BotSettings",
    "BprSettings",
    "CampaignEvaluationSettings",
    "CampaignSettings",
    "ChurnRiskBands",
    "Config",
    "CooccurrenceSettings",
    "CustomerValueSettings",
    "DirtSettings",
    "DriftSettings",
    "GbtGrid",
    "GeneratorSettings",
    "GraphSettings",
    "IngestSettings",
    "InteractionSettings",
    "LakeSettings",
    "LifecycleSettings",
    "LightUserSettings",
    "LoggingSettings",
    "LogisticRegressionGrid",
    "OrderLineSettings",
    "PageRankSettings",
    "PiiSettings",
    "Problems",
    "PropensityCandidates",
    "PropensitySettings",
    "RecommendSettings",
    "ReportSettings",
    "RfmSettings",
    "SeenItemsSettings",
    "SegmentLabelSettings",
    "SegmentSettings",
    "SessionSettings",
    "SparkSettings",
    "TagSettings",
    "TrackingSettings",
    "TrendingSettings",
    "ValueTier",
]
