"""The fixed vocabulary of the demo company: region, names, skills, asset types, catalogue and job templates."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

TIMEZONE = "Europe/Amsterdam"
CURRENCY = "EUR"
EMAIL_DOMAIN = "demo.assetpulse.dev"

# The metro region every location and home base lies in: greater Rotterdam (south, west, north, east bounds).
REGION = (51.80, 4.20, 52.02, 4.70)

# name, latitude, longitude of the four territories' centres
TERRITORIES: tuple[tuple[str, float, float], ...] = (
    ("Rotterdam Centrum-Noord", 51.935, 4.475),
    ("Schiedam-Vlaardingen", 51.915, 4.350),
    ("Rotterdam Zuid-Barendrecht", 51.870, 4.530),
    ("Capelle-Krimpen", 51.930, 4.600),
)
STREETS = (
    "Coolsingel", "Westblaak", "Weena", "Maasboulevard", "Kralingseweg", "Schiedamseweg", "Havenstraat",
    "Industrieweg", "Nieuwe Binnenweg", "Stationsweg", "Rivium Boulevard", "Marconistraat", "Vasteland",
    "Waalhaven Oostzijde", "Albert Plesmanweg", "Kleinpolderplein", "Spaanse Kade", "Hoofdweg", "Lorentzweg",
)  # fmt: skip

SKILLS: tuple[tuple[str, str], ...] = (
    ("mechanical", "Mechanical repair"),
    ("electrical", "Electrical (NEN 3140)"),
    ("refrigeration", "Refrigeration (F-gas)"),
    ("hydraulics", "Pumps and hydraulics"),
    ("controls", "Controls and sensors"),
    ("diesel", "Diesel engines"),
)

FIRST_NAMES = (
    "Daan", "Sanne", "Thijs", "Fleur", "Jeroen", "Lotte", "Bram", "Eva", "Ruben", "Anouk", "Joost", "Iris",
    "Sem", "Noor", "Luuk", "Femke", "Milan", "Lieke", "Stijn", "Maud", "Koen", "Esther", "Wouter", "Yara",
)  # fmt: skip
LAST_NAMES = (
    "de Vries", "Jansen", "Bakker", "Visser", "Smit", "Meijer", "de Boer", "Mulder", "de Groot", "Bos", "Vos",
    "Peters", "Hendriks", "van Leeuwen", "Dekker", "Brouwer", "de Wit", "Dijkstra", "Kok", "van Dijk",
)  # fmt: skip

COMPANY_PREFIXES = (
    "Maasvlakte", "Rijnmond", "Waalhaven", "Botlek", "Europoort", "Kralingen", "Delfshaven", "Feijenoord",
    "Hoogvliet", "Pernis", "Charlois", "Ommoord", "Zestienhoven", "Blijdorp", "Nesselande", "Ridderkerk",
    "Barendrecht", "Vlaardingen", "Schiedam", "Capelle", "Krimpen", "Spijkenisse", "Maassluis", "Lansingerland",
)  # fmt: skip
COMPANY_SUFFIXES = (
    "Cold Storage", "Waterzuivering", "Logistics", "Food Processing", "Hospital", "Data Centre", "Brewery",
    "Chemicals", "Terminal", "Offices", "Shopping Centre", "Dairy", "Greenhouses", "University Campus",
    "Hotel", "Laboratories", "Printing", "Bakeries", "Pharma", "Marine Services",
)  # fmt: skip
SITE_NAMES = ("Main plant", "Plant room", "Warehouse", "Roof plant", "Basement", "North wing", "Pump house", "Yard")


@dataclass(frozen=True, slots=True)
class AssetKind:
    """A device type of the simulator, as an asset type with its models and typical running."""

    code: str
    name: str
    prefix: str
    models: tuple[str, ...]
    skills: tuple[str, ...]
    components: tuple[str, ...]
    hours_per_day: tuple[float, float]  # range of the daily run hours
    lease_charge: tuple[int, int]  # range of a monthly lease charge (EUR)


ASSET_KINDS: tuple[AssetKind, ...] = (
    AssetKind("pump", "Centrifugal pump", "P", ("Grundfos NB 65-200", "KSB Etanorm 80-250", "Xylem e-SV 33"),
              ("hydraulics", "mechanical"), ("Motor", "Impeller", "Mechanical seal"), (6.0, 20.0), (180, 420)),
    AssetKind("compressor", "Screw compressor", "C", ("Atlas Copco GA 37", "Kaeser ASD 60", "Ingersoll Rand R55"),
              ("mechanical", "electrical"), ("Air end", "Motor", "Oil separator"), (8.0, 22.0), (450, 900)),
    AssetKind("chiller", "Chiller", "CH", ("Carrier 30RB 262", "Daikin EWAD-TZ", "Trane Sintesis RTAF"),
              ("refrigeration", "electrical"), ("Compressor circuit 1", "Condenser fan", "Evaporator"),
              (4.0, 16.0), (900, 1800)),
    AssetKind("generator", "Standby generator", "G", ("Caterpillar C9 250 kVA", "Cummins C500D5", "Kohler KD800"),
              ("diesel", "electrical"), ("Engine", "Alternator", "Control panel"), (0.1, 1.0), (700, 1400)),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class ItemSpec:
    sku: str
    name: str
    kind: str  # product, labour, travel, service
    unit: str
    cost: Decimal
    price: Decimal
    premium_price: Decimal | None = None  # its price on the premium list, if it has one


def _item(sku: str, name: str, kind: str, unit: str, prices: str) -> ItemSpec:
    """`prices`: "cost/list price" or "cost/list price/premium price"."""
    cost, price, *premium = (Decimal(p) for p in prices.split("/"))
    return ItemSpec(sku, name, kind, unit, cost, price, premium[0] if premium else None)


LABOUR_SKU = "LAB-STD"
TRAVEL_KM_SKU = "TRV-KM"
CALL_OUT_SKU = "TRV-CALL"
ITEMS: tuple[ItemSpec, ...] = (
    _item(LABOUR_SKU, "Service technician, per hour", "labour", "hour", "42.00/89.00/109.00"),
    _item("LAB-OT", "Service technician, overtime, per hour", "labour", "hour", "58.00/129.00/149.00"),
    _item("LAB-SPEC", "Refrigeration specialist, per hour", "labour", "hour", "52.00/115.00/135.00"),
    _item(TRAVEL_KM_SKU, "Travel, per km", "travel", "km", "0.30/0.65/0.80"),
    _item(CALL_OUT_SKU, "Call-out fee", "travel", "each", "15.00/45.00/65.00"),
    _item("SRV-INSP", "Annual inspection, fixed price", "service", "each", "80.00/245.00/295.00"),
    _item("P-SEAL-65", "Mechanical seal 65 mm", "product", "each", "38.00/86.00"),
    _item("P-BRG-6309", "Bearing SKF 6309", "product", "each", "21.00/48.00"),
    _item("P-IMP-200", "Impeller 200 mm", "product", "each", "160.00/345.00"),
    _item("P-CPL-40", "Flexible coupling", "product", "each", "44.00/95.00"),
    _item("C-OIL-5L", "Compressor oil", "product", "litre", "9.50/21.00"),
    _item("C-FLT-AIR", "Air filter element", "product", "each", "27.00/64.00"),
    _item("C-FLT-OIL", "Oil filter", "product", "each", "18.00/42.00"),
    _item("C-SEP-37", "Oil separator cartridge", "product", "each", "96.00/210.00"),
    _item("R-410A", "Refrigerant R410A", "product", "kg", "24.00/58.00"),
    _item("R-FAN-800", "Condenser fan motor", "product", "each", "310.00/640.00"),
    _item("R-DRY-16", "Filter drier", "product", "each", "33.00/75.00"),
    _item("E-CONT-40", "Contactor 40 A", "product", "each", "46.00/99.00"),
    _item("E-SENS-PT100", "Temperature sensor PT100", "product", "each", "29.00/68.00"),
    _item("E-VIB-100", "Vibration sensor", "product", "each", "120.00/260.00"),
    _item("G-BATT-12", "Starter battery 12 V", "product", "each", "95.00/189.00"),
    _item("G-FLT-FUEL", "Fuel filter", "product", "each", "16.00/39.00"),
    _item("G-COOL-5L", "Coolant", "product", "litre", "4.00/11.00"),
)


@dataclass(frozen=True, slots=True)
class IncidentSpec:
    code: str
    name: str
    work_type: str
    minutes: int
    priority: str
    asset_type: str | None  # None: any asset type
    skills: tuple[tuple[str, int], ...]
    tasks: tuple[str, ...]
    items: tuple[tuple[str, str], ...]  # sku, quantity


INCIDENTS: tuple[IncidentSpec, ...] = (
    IncidentSpec("pump-bearing-noise", "Pump bearing noise or vibration", "repair", 120, "high", "pump",
                 (("hydraulics", 2), ("mechanical", 2)),
                 ("Isolate and lock out the pump", "Measure vibration at both bearings", "Replace bearings",
                  "Align the coupling", "Test run and record vibration"),
                 (("P-BRG-6309", "2"),)),
    IncidentSpec("pump-seal-leak", "Pump seal leak", "repair", 90, "normal", "pump", (("hydraulics", 2),),
                 ("Isolate and drain the pump", "Replace the mechanical seal", "Leak test at duty pressure"),
                 (("P-SEAL-65", "1"),)),
    IncidentSpec("compressor-overheat", "Compressor high temperature trip", "repair", 120, "high", "compressor",
                 (("mechanical", 2), ("electrical", 1)),
                 ("Read the controller fault log", "Check oil level and cooler", "Replace oil and filters",
                  "Test run under load"),
                 (("C-OIL-5L", "8"), ("C-FLT-OIL", "1"))),
    IncidentSpec("chiller-low-refrigerant", "Chiller low refrigerant pressure", "repair", 150, "high", "chiller",
                 (("refrigeration", 3),),
                 ("Leak search with detector", "Repair the leak", "Replace the filter drier",
                  "Recharge and log the refrigerant (F-gas)"),
                 (("R-410A", "4"), ("R-DRY-16", "1"))),
    IncidentSpec("generator-no-start", "Generator fails to start", "repair", 120, "emergency", "generator",
                 (("diesel", 2), ("electrical", 2)),
                 ("Check batteries and charger", "Check fuel supply", "Start test", "Load bank test 30 min"),
                 (("G-BATT-12", "2"),)),
    IncidentSpec("sensor-fault", "Sensor reading implausible", "sensor_check", 60, "normal", None,
                 (("controls", 2),), ("Compare with a reference instrument", "Replace or recalibrate the sensor"),
                 (("E-SENS-PT100", "1"),)),
    IncidentSpec("pm-pump", "Pump preventive maintenance", "maintenance", 90, "low", "pump",
                 (("hydraulics", 1),),
                 ("Check seal for leaks", "Grease bearings", "Check coupling alignment", "Record run hours"), ()),
    IncidentSpec("pm-compressor", "Compressor service (2000 h)", "maintenance", 120, "low", "compressor",
                 (("mechanical", 1),), ("Replace oil", "Replace air and oil filters", "Check separator pressure drop"),
                 (("C-OIL-5L", "8"), ("C-FLT-AIR", "1"), ("C-FLT-OIL", "1"))),
    IncidentSpec("pm-chiller", "Chiller seasonal service", "maintenance", 150, "low", "chiller",
                 (("refrigeration", 2),), ("Clean condenser coils", "Check refrigerant charge", "Check fan motors",
                                           "Log operating pressures"), ()),
    IncidentSpec("pm-generator", "Generator annual service", "maintenance", 120, "low", "generator",
                 (("diesel", 1),), ("Replace fuel filter", "Check coolant", "Start and load test"),
                 (("G-FLT-FUEL", "1"), ("G-COOL-5L", "5"))),
    IncidentSpec("inspection-annual", "Annual safety inspection", "inspection", 60, "normal", None,
                 (("electrical", 1),), ("Visual inspection", "Earth and insulation test", "Label and report"),
                 (("SRV-INSP", "1"),)),
)  # fmt: skip
PM_INCIDENT = {"pump": "pm-pump", "compressor": "pm-compressor", "chiller": "pm-chiller", "generator": "pm-generator"}
