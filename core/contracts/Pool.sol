// SPDX-License-Identifier: MIT
// Pool.sol - a constant-product market maker over two ERC20 tokens with a
// 0.3 % fee and liquidity shares.
//
// A swap of amountIn gives amountIn * 997 * reserveOut /
// (reserveIn * 1000 + amountIn * 997), rounded down, and reverts when that
// is below minOut (slippage) or zero. The first deposit mints
// sqrt(amount0 * amount1) shares; later ones mint in proportion to the
// reserves (the smaller of the two ratios). Removing shares pays out the
// same fraction of both reserves. So reserve0 * reserve1 never decreases
// through a swap.
pragma solidity 0.8.24;

interface IERC20 {
    function transfer(address to, uint256 value) external returns (bool);
    function transferFrom(address from, address to, uint256 value) external returns (bool);
}

contract Pool {
    IERC20 public immutable token0;
    IERC20 public immutable token1;
    uint256 public reserve0;
    uint256 public reserve1;
    uint256 public totalShares;
    mapping(address => uint256) public shares;

    event Mint(address indexed provider, uint256 amount0, uint256 amount1, uint256 shares);
    event Burn(address indexed provider, uint256 amount0, uint256 amount1, uint256 shares);
    event Swap(address indexed trader, bool zeroForOne, uint256 amountIn, uint256 amountOut);

    constructor(IERC20 token0_, IERC20 token1_) {
        token0 = token0_;
        token1 = token1_;
    }

    function getReserves() external view returns (uint256, uint256) {
        return (reserve0, reserve1);
    }

    function getAmountOut(uint256 amountIn, uint256 reserveIn, uint256 reserveOut) public pure returns (uint256) {
        uint256 inWithFee = amountIn * 997;
        return (inWithFee * reserveOut) / (reserveIn * 1000 + inWithFee);
    }

    function addLiquidity(uint256 amount0, uint256 amount1) external returns (uint256 minted) {
        if (totalShares == 0) {
            minted = _sqrt(amount0 * amount1);
        } else {
            uint256 s0 = (amount0 * totalShares) / reserve0;
            uint256 s1 = (amount1 * totalShares) / reserve1;
            minted = s0 < s1 ? s0 : s1;
        }
        require(minted > 0, "no shares minted");
        require(token0.transferFrom(msg.sender, address(this), amount0), "token0 transfer failed");
        require(token1.transferFrom(msg.sender, address(this), amount1), "token1 transfer failed");
        reserve0 += amount0;
        reserve1 += amount1;
        totalShares += minted;
        shares[msg.sender] += minted;
        emit Mint(msg.sender, amount0, amount1, minted);
    }

    function removeLiquidity(uint256 burned) external returns (uint256 amount0, uint256 amount1) {
        require(burned > 0 && shares[msg.sender] >= burned, "not enough shares");
        amount0 = (burned * reserve0) / totalShares;
        amount1 = (burned * reserve1) / totalShares;
        shares[msg.sender] -= burned;
        totalShares -= burned;
        reserve0 -= amount0;
        reserve1 -= amount1;
        require(token0.transfer(msg.sender, amount0), "token0 transfer failed");
        require(token1.transfer(msg.sender, amount1), "token1 transfer failed");
        emit Burn(msg.sender, amount0, amount1, burned);
    }

    function swap(bool zeroForOne, uint256 amountIn, uint256 minOut) external returns (uint256 amountOut) {
        require(amountIn > 0, "zero amount");
        (IERC20 tokenIn, IERC20 tokenOut, uint256 reserveIn, uint256 reserveOut) =
            zeroForOne ? (token0, token1, reserve0, reserve1) : (token1, token0, reserve1, reserve0);
        amountOut = getAmountOut(amountIn, reserveIn, reserveOut);
        require(amountOut > 0, "insufficient output");
        require(amountOut >= minOut, "slippage");
        require(tokenIn.transferFrom(msg.sender, address(this), amountIn), "transfer in failed");
        require(tokenOut.transfer(msg.sender, amountOut), "transfer out failed");
        if (zeroForOne) {
            reserve0 += amountIn;
            reserve1 -= amountOut;
        } else {
            reserve1 += amountIn;
            reserve0 -= amountOut;
        }
        emit Swap(msg.sender, zeroForOne, amountIn, amountOut);
    }

    function _sqrt(uint256 y) internal pure returns (uint256 z) {
        if (y > 3) {
            z = y;
            uint256 x = y / 2 + 1;
            while (x < z) {
                z = x;
                x = (y / x + x) / 2;
            }
        } else if (y != 0) {
            z = 1;
        }
    }
}
