// SPDX-License-Identifier: MIT
// Registry.sol - a DApp registry: an app is registered once under a unique
// non-zero name with its owner (the caller) and up to 16 contract
// addresses; it can be looked up by name and the names listed in order of
// registration.
pragma solidity 0.8.24;

contract Registry {
    struct App {
        address owner;
        bytes32 name;
        address[] contracts;
    }

    App[] internal apps;
    mapping(bytes32 => uint256) public idOf; // 1-based; 0: not registered

    event Registered(bytes32 indexed name, address indexed owner, uint256 id);

    function register(bytes32 name, address[] calldata contracts) external returns (uint256 id) {
        require(name != bytes32(0), "empty name");
        require(idOf[name] == 0, "name taken");
        require(contracts.length <= 16, "too many contracts");
        apps.push();
        App storage app = apps[apps.length - 1];
        app.owner = msg.sender;
        app.name = name;
        app.contracts = contracts;
        id = apps.length;
        idOf[name] = id;
        emit Registered(name, msg.sender, id);
    }

    function lookup(bytes32 name) external view returns (address owner, address[] memory contracts) {
        uint256 id = idOf[name];
        require(id != 0, "unknown app");
        App storage app = apps[id - 1];
        return (app.owner, app.contracts);
    }

    function count() external view returns (uint256) {
        return apps.length;
    }

    function list(uint256 start, uint256 n) external view returns (bytes32[] memory names) {
        uint256 end = start + n > apps.length ? apps.length : start + n;
        uint256 len = end > start ? end - start : 0;
        names = new bytes32[](len);
        for (uint256 i = 0; i < len; i++) {
            names[i] = apps[start + i].name;
        }
    }
}
