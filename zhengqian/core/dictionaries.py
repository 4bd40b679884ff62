"""The kinds of data dictionary (数据字典) and their starting entries.

Offices differ in their lists (structure types, relations, reasons …), so every module takes such
choices from DictionaryEntry rows that an administrator keeps, never from lists in code.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class DictionaryKind(models.TextChoices):
    STRUCTURE_TYPE = "structure_type", _("Building structure type")
    BUILDING_USE = "building_use", _("Building use")
    RELATION = "relation", _("Relation to the head of household")
    HUKOU_TYPE = "hukou_type", _("Household registration type")
    SPECIAL_STATUS = "special_status", _("Special status")
    LAND_TYPE = "land_type", _("Land type")
    ANCILLARY_TYPE = "ancillary_type", _("Ancillary and crop type")
    RESETTLEMENT_REASON = "resettlement_reason", _("Resettlement population reason")
    UNLICENSED_TREATMENT = "unlicensed_treatment", _("Unlicensed area treatment")
    DOCUMENT_KIND = "document_kind", _("Document kind")
    RETURN_REASON = "return_reason", _("Reason for return")
    FUNDING_SOURCE = "funding_source", _("Funding source")


# (code, Chinese label, English label) — the starting contents, loaded by a data migration.
DEFAULT_ENTRIES: dict[str, list[tuple[str, str, str]]] = {
    DictionaryKind.STRUCTURE_TYPE: [
        ("steel_concrete", "钢混结构", "Steel-concrete"),
        ("brick_concrete", "砖混结构", "Brick-concrete"),
        ("brick_wood", "砖木结构", "Brick-wood"),
        ("simple", "简易结构", "Simple structure"),
    ],
    DictionaryKind.BUILDING_USE: [
        ("residential", "住宅", "Residential"),
        ("shop", "商业", "Shop"),
        ("office", "办公", "Office"),
        ("industrial", "工业", "Industrial"),
        ("warehouse", "仓储", "Warehouse"),
        ("auxiliary", "附属用房", "Auxiliary"),
    ],
    DictionaryKind.RELATION: [
        ("head", "户主", "Head of household"),
        ("spouse", "配偶", "Spouse"),
        ("child", "子女", "Child"),
        ("parent", "父母", "Parent"),
        ("grandchild", "孙子女", "Grandchild"),
        ("child_in_law", "儿媳/女婿", "Child-in-law"),
        ("sibling", "兄弟姐妹", "Sibling"),
        ("other", "其他", "Other"),
    ],
    DictionaryKind.HUKOU_TYPE: [
        ("agricultural", "农业户口", "Agricultural"),
        ("non_agricultural", "非农业户口", "Non-agricultural"),
        ("resident", "居民户口", "Resident"),
    ],
    DictionaryKind.SPECIAL_STATUS: [
        ("low_income", "低保户", "Minimum living allowance"),
        ("disabled", "残疾人", "Disabled"),
        ("five_guarantees", "五保户", "Five guarantees"),
        ("martyr_family", "烈属", "Martyr's family"),
    ],
    DictionaryKind.LAND_TYPE: [
        ("state_owned", "国有土地", "State-owned land"),
        ("collective_homestead", "集体宅基地", "Collective homestead"),
        ("collective_construction", "集体建设用地", "Collective construction land"),
        ("farmland", "耕地", "Farmland"),
    ],
    DictionaryKind.ANCILLARY_TYPE: [
        ("wall", "围墙", "Wall"),
        ("well", "水井", "Well"),
        ("tree", "树木", "Tree"),
        ("crop", "青苗", "Crop"),
        ("tomb", "坟墓", "Tomb"),
        ("yard_floor", "院落地坪", "Yard paving"),
    ],
    DictionaryKind.RESETTLEMENT_REASON: [
        ("registered", "在册户籍人口", "Registered at the address on the announcement date"),
        ("married_in", "婚入人员", "Married in"),
        ("newborn", "新生儿", "Newborn"),
        ("student", "在校学生（户籍迁出）", "Student (registration moved out)"),
        ("soldier", "现役军人", "Serving soldier"),
        ("not_eligible", "不符合安置条件", "Not eligible"),
    ],
    DictionaryKind.UNLICENSED_TREATMENT: [
        ("recognised", "认定合法", "Recognised"),
        ("not_recognised", "不予认定", "Not recognised"),
        ("demolish_no_compensation", "无偿拆除", "Demolished without compensation"),
    ],
    DictionaryKind.DOCUMENT_KIND: [
        ("survey_form", "入户调查表", "Survey form"),
        ("photo", "现场照片", "Photo"),
        ("title_certificate", "不动产权证", "Title certificate"),
        ("hukou_book", "户口簿", "Household register"),
        ("drawing", "测绘图", "Measurement drawing"),
        ("id_card", "身份证", "ID card"),
        ("minutes", "会议纪要", "Meeting minutes"),
    ],
    DictionaryKind.RETURN_REASON: [
        ("area_mismatch", "面积不符", "Area does not match"),
        ("policy_misapplied", "政策适用错误", "Policy misapplied"),
        ("missing_documents", "材料不全", "Documents missing"),
        ("other", "其他", "Other"),
    ],
    DictionaryKind.FUNDING_SOURCE: [
        ("budget", "财政拨款", "Budget allocation"),
        ("policy_bank_loan", "政策性银行贷款", "Policy-bank loan"),
        ("land_revenue", "土地出让收入", "Land sale revenue"),
    ],
}
