"""The allowed values of coded columns (event types, page types, groups), shared by generator and pipeline."""

PAGE_VIEW = "page_view"
SEARCH = "search"
ADD_TO_CART = "add_to_cart"
REMOVE_FROM_CART = "remove_from_cart"
FAVORITE = "favorite"
ORDER = "order"
PAY = "pay"
REFUND = "refund"
REVIEW = "review"

EVENT_TYPES = (PAGE_VIEW, SEARCH, ADD_TO_CART, REMOVE_FROM_CART, FAVORITE, ORDER, PAY, REFUND, REVIEW)
# Events that carry an `amount`.
AMOUNT_EVENT_TYPES = (ORDER, PAY, REFUND)

PAGE_HOME = "home"
PAGE_SEARCH = "search"
PAGE_CATEGORY = "category"
PAGE_PRODUCT = "product"
PAGE_TYPES = (PAGE_HOME, PAGE_SEARCH, PAGE_CATEGORY, PAGE_PRODUCT)

DEVICES = ("ios", "android", "web", "mini_program")
CHANNELS = ("direct", "search_engine", "social", "push", "ads")
PAYMENT_METHODS = ("alipay", "wechat_pay", "card", "credit")

TREATMENT = "treatment"
CONTROL = "control"
