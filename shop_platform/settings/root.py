"""The whole settings model: one field per top-level key of `conf/base.yaml`."""

from __future__ import annotations

from dataclasses import dataclass

from shop_platform.settings.analytics import AnalyticsSettings
from shop_platform.settings.app import AppSettings, LoggingSettings
from shop_platform.settings.campaigns import CampaignEvaluationSettings
from shop_platform.settings.generator import GeneratorSettings
from shop_platform.settings.graph import GraphSettings
from shop_platform.settings.ingest import IngestSettings
from shop_platform.settings.lake import LakeSettings
from shop_platform.settings.pii import PiiSettings
from shop_platform.settings.propensity import PropensitySettings
from shop_platform.settings.recommend import InteractionSettings, RecommendSettings
from shop_platform.settings.report import ReportSettings
from shop_platform.settings.segments import SegmentSettings
from shop_platform.settings.silver import BotSettings, SessionSettings
from shop_platform.settings.spark import SparkSettings
from shop_platform.settings.tags import LifecycleSettings, RfmSettings, TagSettings
from shop_platform.settings.tracking import TrackingSettings
from shop_platform.settings.value import CustomerValueSettings


@dataclass(frozen=True)
class Config:
    app: AppSettings
    lake: LakeSettings
    spark: SparkSettings
    tracking: TrackingSettings
    logging: LoggingSettings
    generator: GeneratorSettings
    ingest: IngestSettings
    pii: PiiSettings
    sessions: SessionSettings
    bots: BotSettings
    interactions: InteractionSettings
    rfm: RfmSettings
    lifecycle: LifecycleSettings
    tags: TagSettings
    graph: GraphSettings
    recommend: RecommendSettings
    segments: SegmentSettings
    analytics: AnalyticsSettings
    campaigns: CampaignEvaluationSettings
    propensity: PropensitySettings
    clv: CustomerValueSettings
    report: ReportSettings
