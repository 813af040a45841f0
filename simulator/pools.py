"""Word pools for the generator: real names, scripts and spellings a client must survive.

Names come as (display form, ASCII form for email addresses) so that Arabic, Hebrew, accented and
CJK names still get plausible addresses.
"""

FIRST_NAMES: tuple[tuple[str, str], ...] = (
    ("Bob", "bob"),
    ("Alice", "alice"),
    ("Maria", "maria"),
    ("James", "james"),
    ("Priya", "priya"),
    ("Wei", "wei"),
    ("Olivia", "olivia"),
    ("Liam", "liam"),
    ("Fatima", "fatima"),
    ("Noah", "noah"),
    ("Chloé", "chloe"),
    ("José", "jose"),
    ("Zoë", "zoe"),
    ("Søren", "soren"),
    ("Łukasz", "lukasz"),
    ("François", "francois"),
    ("Ngọc", "ngoc"),
    ("Αλέξανδρος", "alexandros"),
    ("Анна", "anna"),
    ("さくら", "sakura"),
    ("محمد", "mohammed"),
    ("فاطمة", "fatimah"),
    ("ليلى", "layla"),
    ("علي", "ali"),
    ("דוד", "david"),
    ("שרה", "sarah"),
    ("נועה", "noa"),
    ("יוסף", "yosef"),
    ("Mary-Jane", "maryjane"),
    ("O'Neil", "oneil"),
)

LAST_NAMES: tuple[tuple[str, str], ...] = (
    ("Smith", "smith"),
    ("Johnson", "johnson"),
    ("García", "garcia"),
    ("Müller", "mueller"),
    ("Nguyễn", "nguyen"),
    ("Kowalski", "kowalski"),
    ("O'Brien", "obrien"),
    ("van der Berg", "vanderberg"),
    ("Patel", "patel"),
    ("Chen", "chen"),
    ("Dubois", "dubois"),
    ("Ivanova", "ivanova"),
    ("Tanaka", "tanaka"),
    ("Øster", "oster"),
    ("Papadopoulos", "papadopoulos"),
    ("العلي", "alali"),
    ("حداد", "haddad"),
    ("منصور", "mansour"),
    ("כהן", "cohen"),
    ("לוי", "levi"),
    ("מזרחי", "mizrahi"),
    ("Smith-Jones", "smithjones"),
    ("Brown", "brown"),
    ("Wilson", "wilson"),
)

EMAIL_DOMAINS = (
    "example.com",
    "acme-corp.example",
    "globex.example",
    "initech.example",
    "mail.example.org",
    "umbrella.example",
)

COMPANIES = (
    "Acme Corp",
    "Globex",
    "Initech",
    "Umbrella Learning GmbH",
    "Soylent & Co.",
    "Société Générale de Formation",
    "شركة المعرفة",
    "חברת הדרכה בע״מ",
    "Hooli",
    "",
)

HEADLINES = ("Sales Lead", "Engineer", "HR Partner", "Nurse", "Team Manager", "מנהלת צוות")

BIOS = (
    "Lifelong learner.",
    "Loves spreadsheets and long walks.",
    "Trainer since 2012 — ask me anything!",
    "مدربة معتمدة في السلامة المهنية",
)

EXTERNAL_SOURCES = ("sso", "openid_connect", "zapier", "csv_import")

DEPARTMENTS = ("Sales", "Engineering", "Support", "Finance", "Operations", "المبيعات", "תפעול")

GROUP_NAMES = (
    "Acme Sales",
    "Globex Support",
    "Initech Engineering",
    "Umbrella Nurses",
    "Cohort 2024 — Spring",
    "Équipe Montréal",
    "فريق الرياض",
    "צוות תל אביב",
    "Partners (EMEA)",
    "Onboarding",
)

COURSE_TOPICS = (
    "Workplace Safety",
    "Customer Success Basics",
    "Advanced Excel",
    "Leadership 101",
    "Data Privacy & GDPR",
    "Sales Negotiation",
    "First Aid at Work",
    "Python for Analysts",
    "Inclusive Hiring",
    "Communication Skills",
    "Premiers secours",
    "أساسيات خدمة العملاء",
    "ניהול זמן",
    "Project Management Essentials",
)

COUPON_CODES = ("WELCOME10", "TEAM25", "SPRING-2024", "abc123")
