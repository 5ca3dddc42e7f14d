from ninja import Router

router = Router(tags=["Thẩm định"])
