"""Contact boards (警民联系牌) of any place: the registry per community and bulk printing."""
